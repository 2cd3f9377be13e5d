/**
 * Population-based training against independent trials with Hyperband, at the same epoch budget, on the
 * digits MLP (examples/digits: 1797 8×8 images, seeded stratified 60/20/20 split per seed).
 *
 * Both search the same space on the same fixed architecture (2 dense layers of 64 ReLU units, Adam —
 * fixed so that PBT members can copy each other's weights): learning rate (log, 1e-4–1e-1), dropout
 * (0–0.5) and batch size (16/32/64/128).
 *   - PBT: `--population` members × `--epochs` epochs, exploit/explore every `--interval` epochs on the
 *     validation accuracy (quantile 0.25, factors 0.8/1.2, resampling 0.25). Budget B = population × epochs.
 *   - Hyperband: TPE (multivariate, seeded) proposing trials of at most `--epochs` epochs, HyperbandPruner
 *     (min 1, max `--epochs`, η 3) on the validation accuracy, trials until B epochs are spent (the last
 *     trial is cut at the budget and counts as pruned).
 * Each delivers the model with the best final validation accuracy (PBT: the best member; Hyperband: the
 * best COMPLETE trial); the table gives its test accuracy, which neither search saw. Training is seeded
 * (weights, dropout masks, batch order) and the studies are named (Hyperband's brackets hash the name), so
 * every figure but the seconds reproduces on one backend.
 *
 * Run: node --import tsx bench/pbt/digits.ts [--seeds 0,1,2,3,4,5,6,7,8,9 --population 8 --epochs 27 --interval 3]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { createStudy, HyperbandPruner, TPESampler, TrialPruned, TrialState, type Trial } from '../../src/index.js';
import { buildMlp, disposeModel, evaluate, loadTf, trainAndEvaluate, type MlpParams } from '../../src/tfjs/index.js';
import { memoryCheckpointStore, populationBasedTraining, type PbtTrainContext } from '../../src/tfjs/pbt/index.js';
import { categoricalDistribution, floatDistribution } from '../../src/distributions/index.js';
import { loadDigits, type Digits } from '../../examples/digits/task.js';

const { values: flags } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2,3,4,5,6,7,8,9' },
    population: { type: 'string', default: '8' },
    epochs: { type: 'string', default: '27' },
    interval: { type: 'string', default: '3' },
    /** Also write the section to this file (it is always printed). */
    out: { type: 'string', default: '' },
  },
});
const seeds = flags.seeds.split(',').map(Number);
const population = Number(flags.population);
const epochs = Number(flags.epochs);
const interval = Number(flags.interval);
const budget = population * epochs;

const FIXED = { layers: 2, units: 64, activation: 'relu' } as const;
const SPACE = {
  learningRate: floatDistribution(1e-4, 1e-1, true),
  dropout: floatDistribution(0, 0.5),
  batchSize: categoricalDistribution([16, 32, 64, 128]),
};
const paramsOf = (hp: Readonly<Record<string, unknown>>): MlpParams => ({
  ...FIXED,
  learningRate: hp['learningRate'] as number,
  dropout: hp['dropout'] as number,
  batchSize: hp['batchSize'] as number,
});

interface Outcome {
  valid: number;
  test: number;
  epochs: number;
  seconds: number;
  detail: string;
}

async function runPbt(d: Digits, seed: number): Promise<Outcome> {
  const started = performance.now();
  const test = new Map<number, number>();
  const study = await createStudy({ studyName: `pbt-digits-${seed}`, direction: 'maximize' });
  const result = await populationBasedTraining({
    study,
    population,
    epochs,
    interval,
    hyperparameters: SPACE,
    seed,
    checkpoints: memoryCheckpointStore(),
    buildModel: (hp, ctx) => buildMlp(paramsOf(hp), { inputDim: d.inputDim, nClasses: d.nClasses, seed: ctx.seed % 100000 }).model,
    train: async (ctx: PbtTrainContext) => {
      const p = paramsOf(ctx.hyperparameters);
      const r = await trainAndEvaluate(ctx.model, { train: d.train, valid: d.valid }, { epochs: ctx.epochs, batchSize: p.batchSize, seed: ctx.seed });
      r.history['val_acc']!.forEach((v, i) => ctx.report(v, ctx.from + i));
      if (ctx.to === epochs) test.set(ctx.trial.number, (await evaluate(ctx.model, d.test)).accuracy);
      return r.value;
    },
  });
  const lr = result.best.schedule.map((e) => (e.hyperparameters['learningRate'] as number).toExponential(0)).join('→');
  const exploits = result.best.schedule.filter((e) => e.action === 'exploit').length;
  return {
    valid: result.best.score,
    test: test.get(result.best.trial)!,
    epochs: result.epochsTrained,
    seconds: (performance.now() - started) / 1000,
    detail: `lr ${lr}; ${exploits} exploit(s)`,
  };
}

async function runHyperband(d: Digits, seed: number): Promise<Outcome> {
  const started = performance.now();
  // A fixed name: Hyperband assigns brackets by a hash of the study name and the trial number.
  const study = await createStudy({
    studyName: `hyperband-digits-${seed}`,
    direction: 'maximize',
    sampler: new TPESampler({ seed, multivariate: true, warnIndependentSampling: false }),
    pruner: new HyperbandPruner({ minResource: 1, maxResource: epochs, reductionFactor: 3 }),
  });
  const test = new Map<number, number>();
  let spent = 0;
  while (spent < budget) {
    const trial: Trial = await study.ask(SPACE);
    const params = paramsOf(trial.params);
    const { model } = buildMlp(params, { inputDim: d.inputDim, nClasses: d.nClasses, seed: (seed * 1000 + trial.number) % 100000 });
    const cap = Math.min(epochs, budget - spent);
    try {
      const r = await trainAndEvaluate(model, { train: d.train, valid: d.valid, test: d.test }, { epochs: cap, batchSize: params.batchSize, trial, seed: seed * 1000 + trial.number });
      spent += r.epochsRun;
      if (cap < epochs) await study.tell(trial, 'PRUNED');  // cut by the budget, not trained to the end
      else {
        test.set(trial.number, r.test!.accuracy);
        await study.tell(trial, r.value);
      }
    } catch (err) {
      if (!(err instanceof TrialPruned)) throw err;
      spent += trial.intermediateValues.size;
      await study.tell(trial, 'PRUNED');
    } finally {
      disposeModel(model);
    }
  }
  const complete = study.trials.filter((t) => t.state === TrialState.COMPLETE);
  const best = study.bestTrial;
  return {
    valid: best.values![0]!,
    test: test.get(best.number)!,
    epochs: spent,
    seconds: (performance.now() - started) / 1000,
    detail: `${study.trials.length} trials, ${complete.length} complete`,
  };
}

const pct = (v: number) => (100 * v).toFixed(2);
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));

const backend = await loadTf();
const rows: string[] = [];
const pbt: Outcome[] = [];
const hb: Outcome[] = [];
const t0 = performance.now();
let testSize = 0;
for (const seed of seeds) {
  const d = loadDigits(seed);
  testSize = d.sizes.test;
  try {
    const p = await runPbt(d, seed);
    const h = await runHyperband(d, seed);
    pbt.push(p);
    hb.push(h);
    const row = `| ${seed} | ${pct(p.test)} | ${pct(h.test)} | ${pct(p.valid)} | ${pct(h.valid)} | ${p.epochs} / ${h.epochs} | ${p.seconds.toFixed(0)} / ${h.seconds.toFixed(0)} | ${p.detail} | ${h.detail} |`;
    rows.push(row);
    console.error(row);
  } finally {
    d.dispose();
  }
}
const wins = pbt.filter((p, i) => p.test > hb[i]!.test).length;
const ties = pbt.filter((p, i) => p.test === hb[i]!.test).length;
const diff = pbt.map((p, i) => p.test - hb[i]!.test);
const se = sd(diff) / Math.sqrt(diff.length);
const section = [
  `## PBT vs Hyperband on digits (equal epoch budget)`,
  '',
  `**Command**: \`node --import tsx bench/pbt/digits.ts --seeds ${seeds.join(',')} --population ${population} --epochs ${epochs} --interval ${interval}\``,
  '',
  `**Machine**: 2-core development machine (${cpus().length} logical CPUs visible, shared with other jobs), ${backend.backend} backend`,
  '',
  `**Date**: ${new Date().toISOString().slice(0, 10)}`,
  '',
  `Digits MLP (2 × 64 ReLU, Adam), space: learning rate (log 1e-4–1e-1), dropout (0–0.5), batch size (16/32/64/128). ` +
    `PBT: ${population} members × ${epochs} epochs, exploit/explore every ${interval} epochs on validation accuracy. ` +
    `Hyperband: multivariate TPE + HyperbandPruner (1–${epochs} epochs, η 3), trials until the same ${budget} epochs are spent. ` +
    'Test accuracy of the model each delivers (PBT: best member; Hyperband: best complete trial, both by validation accuracy).',
  '',
  '| seed | test acc PBT % | test acc HB % | valid acc PBT % | valid acc HB % | epochs PBT / HB | seconds PBT / HB | PBT best member | Hyperband |',
  '|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ...rows,
  `| mean ± sd | ${pct(mean(pbt.map((p) => p.test)))} ± ${pct(sd(pbt.map((p) => p.test)))} | ${pct(mean(hb.map((p) => p.test)))} ± ${pct(sd(hb.map((p) => p.test)))} | ` +
    `${pct(mean(pbt.map((p) => p.valid)))} | ${pct(mean(hb.map((p) => p.valid)))} | | ${mean(pbt.map((p) => p.seconds)).toFixed(0)} / ${mean(hb.map((p) => p.seconds)).toFixed(0)} | | |`,
  '',
  `PBT's test accuracy is higher on ${wins} of ${seeds.length} seeds (${ties} tied); mean difference PBT − Hyperband ${(100 * mean(diff)).toFixed(2)} pp ` +
    `± ${(100 * se).toFixed(2)} pp (standard error over seeds; one test image is ${(100 / testSize).toFixed(2)} pp). ` +
    (Math.abs(mean(diff)) < 2 * se
      ? 'The difference is within two standard errors: at this budget neither method is shown to be better on digits.'
      : `The difference exceeds two standard errors, in favour of ${mean(diff) > 0 ? 'PBT' : 'Hyperband'}.`) +
    ` Total wall time ${((performance.now() - t0) / 60000).toFixed(1)} min.`,
  '',
].join('\n');
console.log(section);
if (flags.out !== '') {
  mkdirSync(dirname(flags.out), { recursive: true });
  writeFileSync(flags.out, section);
}
