/**
 * NAS on tabular data: test accuracy against parameter count for random search, regularized evolution,
 * the GP sampler (each searching nas.cell) and DARTS (nas.darts) on the same cell space, with the same
 * budget in training epochs; wall time reported.
 *
 *   space    cell of 3 nodes, 2 inputs each, ops zero / identity / linear / dense-relu / dense-tanh,
 *            width 32, 1 cell (DARTS searches the same wiring and ops)
 *   samplers --trials trials × --epochs epochs each (Adam 0.01, batch 64, seeded training); the
 *            delivered model is the trial with the best validation accuracy, scored on the test split
 *   DARTS    (trials × epochs − epochs) search epochs, then the discrete cell retrained --epochs epochs:
 *            the same number of passes over the training split (a search epoch also takes as many
 *            validation batches for α, and runs every op of the supernet, so it costs more wall time)
 *   data     digits (1797 × 64, 10 classes) and breast cancer (569 × 30, 2 classes), stratified
 *            60/20/20 train/valid/test split drawn from the seed; breast cancer standardised on its
 *            training split
 *
 * Run: node --import tsx bench/nas/nas.ts [--seeds 0,1,2,3,4] [--trials 10] [--epochs 8] [--out results-nas.md: also written there, with the raw results as results-nas.json]
 *      [--render results.json]  (re-renders a finished run's table)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { ArchitectureError, createStudy, GPSampler, RandomSampler, RegularizedEvolutionSampler, TrialState, type Sampler, type Trial } from '../../src/index.js';
import { loadCsv } from '../../src/cli/demo.js';
import { disposeModel, disposeSplit, evaluate, loadTf, stratifiedSplit, toSplit, trainAndEvaluate, type Split } from '../../src/tfjs/index.js';
import { nas, type CellArchitecture, type CellSpace } from '../../src/tfjs/nas/index.js';
import { packageRoot } from '../../src/util/paths.js';

const { values: flags } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2,3,4' },
    trials: { type: 'string', default: '10' },
    epochs: { type: 'string', default: '8' },
    datasets: { type: 'string', default: 'digits,breast_cancer' },
    out: { type: 'string', default: '' },
    /** Re-renders the table from a run's JSON (written next to --out) instead of running. */
    render: { type: 'string' },
  },
});
const seeds = flags.seeds.split(',').map(Number);
const TRIALS = Number(flags.trials);
const EPOCHS = Number(flags.epochs);
const BATCH = 64;
const LR = 0.01;

const { tf, description } = await loadTf();

interface Data {
  name: string;
  train: Split;
  valid: Split;
  test: Split;
  inputDim: number;
  classes: number;
}

function load(name: string, seed: number): Data {
  const { X, y } = loadCsv(join(packageRoot(), 'examples', 'data', `${name}.csv`));
  const classes = Math.max(...y) + 1;
  const rows = stratifiedSplit(y, { valid: 0.2, test: 0.2 }, seed);
  let Xs = X;
  if (name === 'digits') Xs = X.map((r) => r.map((v) => v / 16));
  else {
    // Standardised by the training split's mean and deviation.
    const d = X[0]!.length;
    const mean = Array.from({ length: d }, (_, j) => rows.train.reduce((a, i) => a + X[i]![j]!, 0) / rows.train.length);
    const sd = Array.from({ length: d }, (_, j) => Math.sqrt(rows.train.reduce((a, i) => a + (X[i]![j]! - mean[j]!) ** 2, 0) / rows.train.length) || 1);
    Xs = X.map((r) => r.map((v, j) => (v - mean[j]!) / sd[j]!));
  }
  const split = (r: number[]) => toSplit(Xs, y, classes, { rows: r });
  return { name, train: split(rows.train), valid: split(rows.valid), test: split(rows.test), inputDim: X[0]!.length, classes };
}

const space = (d: Data): CellSpace => ({
  inputShape: [d.inputDim],
  output: { units: d.classes },
  nodes: 3,
  inputsPerNode: 2,
  ops: ['zero', 'identity', 'linear', 'dense-relu', 'dense-tanh'],
  width: 32,
  cells: 1,
});

interface Outcome {
  method: string;
  dataset: string;
  seed: number;
  valAcc: number;
  testAcc: number;
  params: number;
  flops: number;
  epochs: number;
  /** Architectures refused at build time (failed trials, no training). */
  refused: number;
  seconds: number;
  architecture: CellArchitecture;
}

async function searchWith(method: string, sampler: Sampler, d: Data, seed: number): Promise<Outcome> {
  const started = performance.now();
  const study = await createStudy({ direction: 'maximize', sampler });
  let epochs = 0;
  const objective = async (trial: Trial): Promise<number> => {
      const model = nas.cell(trial, space(d), { seed });
      model.compile({ optimizer: tf.train.adam(LR), loss: nas.lossFor('softmax'), metrics: ['accuracy'] });
      try {
        const r = await trainAndEvaluate(model, { train: d.train, valid: d.valid, test: d.test }, { epochs: EPOCHS, batchSize: BATCH, seed });
        epochs += r.epochsRun;
        trial.setUserAttr('testAcc', r.test!.accuracy);
        return r.valid.accuracy;
      } finally {
        disposeModel(model);
      }
  };
  await study.optimize(objective, { nTrials: 1, catch: [ArchitectureError] });
  // The budget is TRIALS trained trials: an architecture refused at build time (ArchitectureError: a
  // cell whose every path is a zero op) fails its trial without training, and another is asked for.
  const complete = () => study.trials.filter((t) => t.state === TrialState.COMPLETE).length;
  while (complete() < TRIALS && study.trials.length < 4 * TRIALS) await study.optimize(objective, { nTrials: 1, catch: [ArchitectureError] });
  const best = study.trials.filter((t) => t.state === TrialState.COMPLETE).sort((a, b) => b.values![0]! - a.values![0]! || a.number - b.number)[0]!;
  return {
    method,
    dataset: d.name,
    seed,
    valAcc: best.values![0]!,
    testAcc: best.userAttrs['testAcc'] as number,
    params: best.userAttrs['nas:params'] as number,
    flops: best.userAttrs['nas:flops'] as number,
    epochs,
    refused: study.trials.filter((t) => t.state === TrialState.FAIL).length,
    seconds: (performance.now() - started) / 1000,
    architecture: best.userAttrs['nas:architecture'] as CellArchitecture,
  };
}

async function dartsRun(d: Data, seed: number): Promise<Outcome> {
  const started = performance.now();
  const searchEpochs = TRIALS * EPOCHS - EPOCHS;
  const r = await nas.darts({
    tf,
    data: { x: d.train.x, y: d.train.y, xVal: d.valid.x, yVal: d.valid.y },
    space: space(d),
    epochs: searchEpochs,
    retrainEpochs: EPOCHS,
    warmupEpochs: Math.floor(searchEpochs / 4),
    archLearningRate: 0.01,
    learningRate: LR,
    batchSize: BATCH,
    seed,
  });
  try {
    const test = await evaluate(r.model, d.test);
    return {
      method: 'DARTS (1st order)',
      dataset: d.name,
      seed,
      valAcc: r.retrainHistory.at(-1)!.valAccuracy!,
      testAcc: test.accuracy,
      params: r.cost.params,
      flops: r.cost.flops,
      epochs: searchEpochs + EPOCHS,
      refused: 0,
      seconds: (performance.now() - started) / 1000,
      architecture: r.architecture,
    };
  } finally {
    disposeModel(r.model);
  }
}

/** "n1: relu(0) · n2: id(0)+tanh(1) · ..." */
function show(a: CellArchitecture): string {
  const short: Record<string, string> = { identity: 'id', linear: 'lin', 'dense-relu': 'relu', 'dense-tanh': 'tanh', 'dense-elu': 'elu', 'dense-sigmoid': 'sigm', zero: '0' };
  return a.nodes.map((n, k) => `n${k + 1}: ${n.ops.map((op, m) => `${short[op]}(${n.inputs[m]})`).join('+')}`).join(' · ');
}

const methods: [string, (seed: number) => Sampler][] = [
  ['random search', (s) => new RandomSampler({ seed: s })],
  ['regularized evolution', (s) => new RegularizedEvolutionSampler({ seed: s, populationSize: 3, sampleSize: 2 })],
  ['GP', (s) => new GPSampler({ seed: s, nStartupTrials: 3, warnIndependentSampling: false })],
];

const t0 = performance.now();
const results: Outcome[] = flags.render === undefined ? await runAll() : (JSON.parse(readFileSync(flags.render, 'utf8')) as Outcome[]);
const totalSeconds = flags.render === undefined ? (performance.now() - t0) / 1000 : results.reduce((a, r) => a + r.seconds, 0);

async function runAll(): Promise<Outcome[]> {
  const results: Outcome[] = [];
  for (const name of flags.datasets.split(',')) {
  for (const seed of seeds) {
    const d = load(name, seed);
    try {
      for (const [method, make] of methods) results.push(await searchWith(method, make(seed), d, seed));
      results.push(await dartsRun(d, seed));
    } finally {
      disposeSplit(d.train);
      disposeSplit(d.valid);
      disposeSplit(d.test);
    }
    const last = results.slice(-4);
    process.stderr.write(`${name} seed ${seed}: ${last.map((r) => `${r.method} ${(100 * r.testAcc).toFixed(1)}% ${r.seconds.toFixed(1)}s`).join(', ')} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  }
  return results;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
const lines: string[] = [];
lines.push('## NAS on digits and breast cancer: random search, regularized evolution, GP, DARTS', '');
lines.push(`**Command**: \`node --import tsx bench/nas/nas.ts --seeds ${flags.seeds} --trials ${TRIALS} --epochs ${EPOCHS}\``, '');
lines.push(`**Machine**: 2-core development machine (${cpus().length} logical CPUs seen, shared with other jobs), ${description.split(' ')[0]} backend`, '');
lines.push(`**Date**: ${new Date().toISOString().slice(0, 10)}`, '');
lines.push(
  `Same cell space for every method (3 nodes, 2 inputs each, ops zero/identity/linear/dense-relu/dense-tanh, width 32, 1 cell), ` +
    `same budget: ${TRIALS * EPOCHS} passes over the training split per run (samplers: ${TRIALS} trials × ${EPOCHS} epochs; ` +
    `DARTS: ${TRIALS * EPOCHS - EPOCHS} search epochs, the first ${Math.floor((TRIALS * EPOCHS - EPOCHS) / 4)} without α steps, + ${EPOCHS} retraining epochs). ` +
    `Trials whose architecture cannot be built (every path through the cell a zero op: ArchitectureError) fail without training and do not count; "refused archs" totals them over the seeds. ` +
    `Delivered model: best validation accuracy (samplers) or the retrained discrete cell (DARTS), scored once on the test split. ` +
    `${seeds.length} seeds (split, sampler and training seeds); mean ± sd.`,
  '',
);
lines.push('| dataset | method | test acc % | val acc % | params | FLOPs (MACs) | epochs | refused archs | wall s |', '|---|---|---|---|---|---|---|---|---|');
for (const name of flags.datasets.split(',')) {
  for (const method of [...methods.map((m) => m[0]), 'DARTS (1st order)']) {
    const rs = results.filter((r) => r.dataset === name && r.method === method);
    if (rs.length === 0) continue;
    const f = (xs: number[], k = 1) => `${mean(xs).toFixed(k)} ± ${sd(xs).toFixed(k)}`;
    lines.push(
      `| ${name} | ${method} | ${f(rs.map((r) => 100 * r.testAcc))} | ${f(rs.map((r) => 100 * r.valAcc))} | ${f(rs.map((r) => r.params), 0)} | ${f(rs.map((r) => r.flops), 0)} | ${mean(rs.map((r) => r.epochs)).toFixed(0)} | ${rs.reduce((a, r) => a + r.refused, 0)} | ${f(rs.map((r) => r.seconds))} |`,
    );
  }
}
lines.push('', 'Best architectures (highest test accuracy per dataset; `op(i)` is an edge from node i, node 0 the cell input):', '');
lines.push('| dataset | method | seed | test acc % | params | FLOPs | cell |', '|---|---|---|---|---|---|---|');
for (const name of flags.datasets.split(',')) {
  const top = results.filter((r) => r.dataset === name).sort((a, b) => b.testAcc - a.testAcc || a.params - b.params).slice(0, 5);
  for (const r of top) lines.push(`| ${name} | ${r.method} | ${r.seed} | ${(100 * r.testAcc).toFixed(1)} | ${r.params} | ${r.flops} | ${show(r.architecture)} |`);
}
lines.push('', `Total wall time ${totalSeconds.toFixed(0)} s.`, '', '**Findings**', '');
const names = [...methods.map((m) => m[0]), 'DARTS (1st order)'];
for (const name of flags.datasets.split(',')) {
  const by = names.map((m) => results.filter((r) => r.dataset === name && r.method === m)).filter((rs) => rs.length > 0);
  if (by.length === 0) continue;
  const accs = by.map((rs) => mean(rs.map((r) => 100 * r.testAcc)));
  const sds = by.map((rs) => sd(rs.map((r) => 100 * r.testAcc)));
  const spread = Math.max(...accs) - Math.min(...accs);
  const best = by[accs.indexOf(Math.max(...accs))]![0]!.method;
  const params = by.map((rs) => mean(rs.map((r) => r.params)));
  const smallest = by[params.indexOf(Math.min(...params))]![0]!.method;
  const idShare = (rs: Outcome[]) => {
    const ops = rs.flatMap((r) => r.architecture.nodes.flatMap((n) => n.ops));
    return (100 * ops.filter((op) => op === 'identity').length) / Math.max(1, ops.length);
  };
  const darts = by.find((rs) => rs[0]!.method.startsWith('DARTS'));
  const samplers = by.filter((rs) => !rs[0]!.method.startsWith('DARTS'));
  const samplerSeconds = mean(samplers.map((rs) => mean(rs.map((r) => r.seconds))));
  lines.push(
    `- ${name}: the mean test accuracies lie within ${spread.toFixed(1)} pp of each other (highest: ${best}), ` +
      `${spread < mean(sds) ? 'less than' : 'more than'} the typical seed-to-seed deviation (${mean(sds).toFixed(1)} pp): ` +
      `${spread < mean(sds) ? `with ${seeds.length} seeds no method is shown better than another` : 'a difference worth a look with more seeds'}. ` +
      `Smallest delivered models: ${smallest} (${Math.min(...params).toFixed(0)} parameters on average).` +
      (darts === undefined
        ? ''
        : ` DARTS took ${(mean(darts.map((r) => r.seconds)) / samplerSeconds).toFixed(1)}× the samplers' wall time for the same epochs ` +
          `(a search epoch runs every op of the supernet and as many α steps on validation batches), and ${idShare(darts).toFixed(0)} % of the edges it kept are identity ` +
          `(samplers' delivered cells: ${mean(samplers.map(idShare)).toFixed(0)} %).`),
  );
}
lines.push(
  '- Trials are not pruned here (every trial trains its 8 epochs); Hyperband with these samplers is exercised in `test/tfjs/nas.test.ts`.',
);
const md = lines.join('\n') + '\n';
process.stdout.write(md);
if (flags.out !== '') {
  mkdirSync(dirname(flags.out), { recursive: true });
  writeFileSync(flags.out, md);
  if (flags.render === undefined) writeFileSync(flags.out.replace(/\.md$/, '.json'), JSON.stringify(results, null, 1));
}
