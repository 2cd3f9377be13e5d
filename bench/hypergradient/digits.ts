/**
 * Hypergradients against black-box search on the digits MLP (64 → 64 → 64 → 10, relu, softmax; SGD,
 * batch 32), at equal total training epochs.
 *
 * Per seed (the data split, the initialisers, the batch order and the samplers all follow it):
 *   - random / gp (4-D): `--trials` trainings of `--epochs` epochs each over the learning rate and one
 *     weight decay per layer (kernels), by RandomSampler / GPSampler; the model delivered is the trial
 *     with the lowest validation loss.
 *   - gp (2-D): the GP on the learning rate and one global decay, same budget.
 *   - online / implicit / unrolled (4-D): one hypergradientSearch of trials × epochs epochs, warm-started
 *     (online: learning rate only, decays fixed at 1e-4).
 *   - implicit / unrolled (139-D): one decay per output unit (64 + 64 + 10) and the learning rate.
 *   - start values, fixed: the control, one run of trials × epochs epochs at the hypergradient arms' start values.
 * Reported: the delivered model's validation loss and test accuracy (mean ± sd over seeds), and wall time.
 * The hypergradient arms' extra cost (Hessian–vector products) is not counted in epochs; the wall time shows it.
 *
 * Run: node --import tsx bench/hypergradient/digits.ts [--seeds 0,1,2 --trials 8 --epochs 12 --out FILE]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { createStudy, GPSampler, RandomSampler, setLogLevel, type Sampler } from '../../src/index.js';
import { loadTf, type TfModule } from '../../src/tfjs/index.js';
import { hypergradientSearch, type HypergradientSearchOptions, type HyperparameterSpace, type TrainingLossArgs, type TrainingLossHook } from '../../src/tfjs/hypergradient/index.js';
import { loadDigits, type Digits } from '../../examples/digits/task.js';

const { values: flags } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2,3,4,5,6,7,8,9' },
    trials: { type: 'string', default: '8' },
    epochs: { type: 'string', default: '12' },
    arms: { type: 'string', default: '' },
    /** Also write the section to this file (it is always printed). */
    out: { type: 'string', default: '' },
  },
});
const seeds = flags.seeds.split(',').map(Number);
const nTrials = Number(flags.trials);
const epochs = Number(flags.epochs);
const budget = nTrials * epochs;
const LR: [number, number] = [1e-3, 1];
const WD: [number, number] = [1e-6, 1e-1];
const LAYERS = ['h1', 'h2', 'out'];
/** Neumann terms of the implicit arms (the default is 20; 10 keeps the bench within its time). */
const NEUMANN = 10;

setLogLevel('warning');
const { tf, description } = await loadTf();

function mlp(tf: TfModule, { seed }: { seed: number }) {
  const init = (s: number) => tf.initializers.heNormal({ seed: s });
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 64, inputShape: [64], activation: 'relu', name: 'h1', kernelInitializer: init(seed * 7 + 1) }),
      tf.layers.dense({ units: 64, activation: 'relu', name: 'h2', kernelInitializer: init(seed * 7 + 2) }),
      tf.layers.dense({ units: 10, activation: 'softmax', name: 'out', kernelInitializer: init(seed * 7 + 3) }),
    ],
  });
}

/** Fixed per-layer kernel decays through the training-loss hook (the same penalty as weightDecay per 'layer'). */
function perLayerPenalty({ base, weights, hp, tf }: TrainingLossArgs): ReturnType<TrainingLossHook> {
  const terms = LAYERS.map((l, i) => tf.mul(hp[`wd_${l}`]!, tf.sum(tf.square(weights[2 * i]!))));
  return tf.add(base, tf.mul(0.5, tf.addN(terms))) as ReturnType<TrainingLossHook>;
}

interface Outcome {
  valLoss: number;
  testAcc: number;
  seconds: number;
}

function testAccuracy(model: ReturnType<TfModule['sequential']> | import('@tensorflow/tfjs').LayersModel, d: Digits): number {
  return tf.tidy(() => {
    const pred = (model.predict(d.test.x) as import('@tensorflow/tfjs').Tensor).argMax(1);
    return tf.mean(tf.cast(tf.equal(pred, d.test.y.argMax(1)), 'float32')).dataSync()[0]!;
  });
}

async function runSearch(d: Digits, seed: number, opts: Partial<HypergradientSearchOptions> & Pick<HypergradientSearchOptions, 'method' | 'hyperparameters' | 'epochs'>): Promise<Outcome> {
  const t0 = performance.now();
  const r = await hypergradientSearch({
    tf,
    data: { x: d.train.x, y: d.train.y, xVal: d.valid.x, yVal: d.valid.y },
    buildModel: mlp,
    seed,
    keepModel: true,
    onWarning: () => {},
    ...opts,
  });
  const testAcc = testAccuracy(r.model!, d);
  r.model!.dispose();
  return { valLoss: r.valLoss, testAcc, seconds: (performance.now() - t0) / 1000 };
}

/** `nTrials` fixed-hyperparameter trainings chosen by `sampler`; the lowest validation loss is delivered. */
async function blackBox(d: Digits, seed: number, sampler: Sampler, dims: 2 | 4): Promise<Outcome> {
  const t0 = performance.now();
  const study = await createStudy({ direction: 'minimize', sampler });
  let best = { valLoss: Infinity, testAcc: NaN };
  await study.optimize(
    async (trial) => {
      const lr = trial.suggestFloat('lr', LR[0], LR[1], { log: true });
      let hyperparameters: HyperparameterSpace;
      let extra: Partial<HypergradientSearchOptions> = {};
      if (dims === 2) hyperparameters = { learningRate: lr, weightDecay: trial.suggestFloat('wd', WD[0], WD[1], { log: true }) };
      else {
        const custom: Record<string, number> = {};
        for (const l of LAYERS) custom[`wd_${l}`] = trial.suggestFloat(`wd_${l}`, WD[0], WD[1], { log: true });
        hyperparameters = { learningRate: lr, custom };
        extra = { trainingLoss: perLayerPenalty };
      }
      const r = await runSearch(d, seed * 1000 + trial.number, { method: 'online', epochs, hyperparameters, ...extra });
      const v = Number.isFinite(r.valLoss) ? r.valLoss : 1e6;
      if (v < best.valLoss) best = { valLoss: v, testAcc: r.testAcc };
      return v;
    },
    { nTrials },
  );
  return { ...best, seconds: (performance.now() - t0) / 1000 };
}

// Both start at the geometric middle of the learning rate's range; decays at 1e-4.
const lrRange = { init: Math.sqrt(LR[0] * LR[1]), low: LR[0], high: LR[1] };
const wdInit = 1e-4;
type Arm = { name: string; dims: number; run: (d: Digits, seed: number) => Promise<Outcome> };
const ARMS: Arm[] = [
  { name: 'random (4-D)', dims: 4, run: (d, s) => blackBox(d, s, new RandomSampler({ seed: s }), 4) },
  { name: 'GP (4-D)', dims: 4, run: (d, s) => blackBox(d, s, new GPSampler({ seed: s, nStartupTrials: 4, warnIndependentSampling: false }), 4) },
  { name: 'GP (2-D: rate, global decay)', dims: 2, run: (d, s) => blackBox(d, s, new GPSampler({ seed: s, nStartupTrials: 4, warnIndependentSampling: false }), 2) },
  // Control: the hypergradient arms' start values, fixed, for the same single run of trials × epochs.
  { name: 'start values, fixed', dims: 0, run: (d, s) => runSearch(d, s, { method: 'online', epochs: budget, hyperparameters: { learningRate: lrRange.init, weightDecay: wdInit } }) },
  {
    name: 'online (rate; decays 1e-4)',
    dims: 1,
    run: (d, s) => runSearch(d, s, { method: 'online', epochs: budget, hyperparameters: { learningRate: lrRange, custom: { wd_h1: wdInit, wd_h2: wdInit, wd_out: wdInit } }, trainingLoss: perLayerPenalty }),
  },
  { name: 'implicit (4-D)', dims: 4, run: (d, s) => runSearch(d, s, { method: 'implicit', neumannSteps: NEUMANN, epochs: budget, hyperparameters: { learningRate: lrRange, weightDecay: { init: wdInit, low: WD[0], high: WD[1], per: 'layer' } } }) },
  { name: 'unrolled (4-D)', dims: 4, run: (d, s) => runSearch(d, s, { method: 'unrolled', epochs: budget, hyperparameters: { learningRate: lrRange, weightDecay: { init: wdInit, low: WD[0], high: WD[1], per: 'layer' } } }) },
  { name: 'implicit (139-D: per unit)', dims: 139, run: (d, s) => runSearch(d, s, { method: 'implicit', neumannSteps: NEUMANN, epochs: budget, hyperparameters: { learningRate: lrRange, weightDecay: { init: wdInit, low: WD[0], high: WD[1], per: 'unit' } } }) },
  { name: 'unrolled (139-D: per unit)', dims: 139, run: (d, s) => runSearch(d, s, { method: 'unrolled', epochs: budget, hyperparameters: { learningRate: lrRange, weightDecay: { init: wdInit, low: WD[0], high: WD[1], per: 'unit' } } }) },
];
const arms = flags.arms === '' ? ARMS : ARMS.filter((a) => flags.arms.split(',').some((k) => a.name.startsWith(k)));

const results = new Map<string, Outcome[]>(arms.map((a) => [a.name, []]));
const started = performance.now();
for (const seed of seeds) {
  const d = loadDigits(seed);
  for (const arm of arms) {
    const r = await arm.run(d, seed);
    results.get(arm.name)!.push(r);
    console.error(`seed ${seed} ${arm.name}: val loss ${r.valLoss.toFixed(4)}, test acc ${(100 * r.testAcc).toFixed(2)} %, ${r.seconds.toFixed(1)} s`);
  }
  d.dispose();
  report(seeds.slice(0, seeds.indexOf(seed) + 1));
}

function report(done: number[]): void {
const wall = (performance.now() - started) / 1000;

const stats = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
  return { m, sd };
};
const gp2 = results.get('GP (2-D: rate, global decay)');
const rows = arms.map((a) => {
  const rs = results.get(a.name)!;
  const v = stats(rs.map((r) => r.valLoss));
  const acc = stats(rs.map((r) => 100 * r.testAcc));
  const t = stats(rs.map((r) => r.seconds));
  const wins = gp2 !== undefined && a.dims >= 100 ? `${rs.filter((r, i) => r.valLoss < gp2[i]!.valLoss).length}/${rs.length}` : '';
  return `| ${a.name} | ${a.dims} | ${v.m.toFixed(4)} ± ${v.sd.toFixed(4)} | ${acc.m.toFixed(2)} ± ${acc.sd.toFixed(2)} | ${t.m.toFixed(1)} | ${wins} |`;
});
const md = [
  '## Hypergradients vs GP and random search (digits MLP)',
  '',
  `**Command**: \`node --import tsx bench/hypergradient/digits.ts --seeds ${flags.seeds} --trials ${nTrials} --epochs ${epochs}\`${done.length < seeds.length ? ` (seeds ${done.join(',')} finished so far)` : ''}`,
  '',
  `**Machine**: 2-core development machine shared with other jobs, ${description.split(' ')[0]} backend. **Date**: ${new Date().toISOString().slice(0, 10)}. Wall time ${(wall / 60).toFixed(1)} min.`,
  '',
  `Budget per arm and seed: ${budget} training epochs (${nTrials} trials × ${epochs} epochs for the samplers; one warm-started run of ${budget} epochs for the hypergradient methods). ` +
    `MLP 64-64-64-10 (relu, softmax), SGD, batch 32; split 60/20/20 per seed; ${done.length} seeds. Implicit: ${NEUMANN} Neumann terms, Hessian terms on 256 training rows. Validation loss and test accuracy of the delivered model, mean ± sd over seeds; "< GP 2-D" counts the seeds where the arm's validation loss is below the 2-D GP's.`,
  '',
  '| method | hyperparameters | validation loss | test accuracy % | seconds per run | < GP 2-D |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows,
  '',
];
const text = md.join('\n');
console.log(text);
if (flags.out !== '') {
  mkdirSync(dirname(flags.out), { recursive: true });
  writeFileSync(flags.out, text);
}
}
