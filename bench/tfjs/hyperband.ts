/**
 * Hyperband on the digits MLP task (examples/digits): validation accuracy reached against epochs spent,
 * with and without pruning, same sampler family (seeded TPE by default, GP with --sampler gp-pruned|bohb-gp),
 * same space, same 27-epoch maximum.
 *
 *   1. without pruning: `--trials` trials, each trained the full 27 epochs. Its best validation accuracy
 *      is the target; its epochs are the budget E.
 *   2. with HyperbandPruner(minResource 1 (--min-resource), maxResource 27, η 3): trials until E epochs are spent.
 *
 * "Reached" counts COMPLETE trials only (trained the full 27 epochs, like every trial of run 1), so a
 * lucky early epoch of a pruned trial does not count. Goal: run 2 reaches run 1's final accuracy within
 * E/3 epochs. The best parameters of each run are retrained once and scored on the test split, to show
 * whether a validation gain is real (the best of many noisy runs is optimistic for either run).
 *
 * Run: npm run bench:hyperband [-- --seeds 0,1,2,3,4 --trials 30 --epochs 27 --no-retrain --sampler tpe|bohb|gp-pruned|bohb-gp --min-resource 1]
 * (--sampler picks the Hyperband run's sampler; the no-pruning run uses the same family: TPE or GP.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BOHBSampler, createStudy, GPSampler, HyperbandPruner, NopPruner, TPESampler, TrialState, type FrozenTrial, type Pruner, type Sampler } from '../../src/index.js';
import { buildMlp, disposeModel, loadTf, mlpObjective, mlpParamsFrom, trainAndEvaluate } from '../../src/tfjs/index.js';
import { EPOCHS, loadDigits, SPACE, type Digits } from '../../examples/digits/task.js';

const { values: flags } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2,3,4' },
    trials: { type: 'string', default: '30' },
    epochs: { type: 'string', default: String(EPOCHS) },
    'no-retrain': { type: 'boolean', default: false },
    // Sampler of the Hyperband run (the no-pruning run uses its family: tpe for tpe/bohb, gp for gp-pruned/bohb-gp).
    sampler: { type: 'string', default: 'tpe' },
    'min-resource': { type: 'string', default: '1' },
  },
});
const SAMPLERS = ['tpe', 'bohb', 'gp-pruned', 'bohb-gp'] as const;
type SamplerKind = (typeof SAMPLERS)[number];
if (!(SAMPLERS as readonly string[]).includes(flags.sampler)) throw new Error(`--sampler: one of ${SAMPLERS.join(', ')}, not ${flags.sampler}`);
const hbSampler = flags.sampler as SamplerKind;
const plainSampler: SamplerKind = hbSampler === 'tpe' || hbSampler === 'bohb' ? 'tpe' : 'gp-pruned';
const minResource = Number(flags['min-resource']);

/** tpe: multivariate TPE; bohb: BOHBSampler (TPE on the largest budget with enough observations);
 *  gp-pruned: GPSampler using PRUNED trials' last values; bohb-gp: BOHBSampler around a GPSampler.
 *  Without pruning, gp-pruned is a plain GPSampler (there are no PRUNED trials). */
function makeSampler(kind: SamplerKind, seed: number): Sampler {
  switch (kind) {
    case 'tpe':
      return new TPESampler({ seed, multivariate: true, warnIndependentSampling: false });
    case 'bohb':
      return new BOHBSampler({ seed, tpe: { multivariate: true, warnIndependentSampling: false } });
    case 'gp-pruned':
      return new GPSampler({ seed, considerPrunedTrials: true, warnIndependentSampling: false });
    case 'bohb-gp':
      return new BOHBSampler({ sampler: new GPSampler({ seed, warnIndependentSampling: false }) });
  }
}
const seeds = flags.seeds.split(',').map(Number);
const nTrials = Number(flags.trials);
const epochs = Number(flags.epochs);

interface Point {
  /** Cumulative epochs after this trial. */
  readonly epochs: number;
  /** Best validation accuracy of a COMPLETE trial so far (0 before the first). */
  readonly best: number;
  /** COMPLETE trials so far. */
  readonly complete: number;
}

interface Run {
  readonly trials: number;
  readonly complete: number;
  readonly pruned: number;
  readonly epochs: number;
  readonly seconds: number;
  readonly best: number;
  readonly bestTrial: FrozenTrial;
  readonly curve: readonly Point[];
  test?: number;
}

async function run(data: Digits, seed: number, sampler: Sampler, pruner: Pruner, epochBudget: number | null, dir: string, name: string): Promise<Run> {
  const study = await createStudy({
    studyName: name,
    storage: `sqlite:${join(dir, `${name}.db`)}`,
    direction: 'maximize',
    sampler,
    pruner,
  });
  const curve: Point[] = [];
  let spent = 0;
  let best = 0;
  let complete = 0;
  const t0 = performance.now();
  await study.optimize(mlpObjective(data, { epochs, space: SPACE, seed }), {
    // Without a budget: exactly nTrials. With one: until the budget is spent (the cap is never reached).
    nTrials: epochBudget === null ? nTrials : 100 * nTrials,
    callbacks: [
      (s, t) => {
        spent += t.intermediateValues.size;
        if (t.state === TrialState.COMPLETE) {
          best = Math.max(best, t.values![0]!);
          complete++;
        }
        curve.push({ epochs: spent, best, complete });
        if (epochBudget !== null && spent >= epochBudget) s.stop();
      },
    ],
  });
  const seconds = (performance.now() - t0) / 1000;
  const all = study.trials;
  return {
    trials: all.length,
    complete: all.filter((t) => t.state === TrialState.COMPLETE).length,
    pruned: all.filter((t) => t.state === TrialState.PRUNED).length,
    epochs: spent,
    seconds,
    best,
    bestTrial: study.bestTrial,
    curve,
  };
}

/** The last point within `budget` epochs (best accuracy and complete trials by then). */
function within(curve: readonly Point[], budget: number): Point {
  let last: Point = { epochs: 0, best: 0, complete: 0 };
  for (const p of curve) if (p.epochs <= budget) last = p;
  return last;
}

function bestWithin(curve: readonly Point[], budget: number): number {
  return within(curve, budget).best;
}

/** Epochs spent when `target` was first reached, or null. */
function epochsToReach(curve: readonly Point[], target: number): number | null {
  return curve.find((p) => p.best >= target)?.epochs ?? null;
}

async function retrainTest(data: Digits, t: FrozenTrial, seed: number): Promise<number> {
  const params = mlpParamsFrom(t.params);
  const { model } = buildMlp(params, { inputDim: data.inputDim, nClasses: data.nClasses, seed });
  try {
    return (await trainAndEvaluate(model, data, { epochs, batchSize: params.batchSize })).test!.accuracy;
  } finally {
    disposeModel(model);
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const backend = await loadTf();
console.log(`# Hyperband on digits: ${nTrials} trials × ${epochs} epochs without pruning vs Hyperband at the same epoch budget`);
console.log(`backend: ${backend.description}; seeds ${seeds.join(', ')}; samplers: ${plainSampler} without pruning, ${hbSampler} with Hyperband (minResource ${minResource})\n`);

const dir = mkdtempSync(join(tmpdir(), 'tunable-bench-hb-'));
const summary: string[] = [];
const ratios: (number | null)[] = [];
try {
  for (const seed of seeds) {
    const data = loadDigits(seed);
    try {
      const plain = await run(data, seed, makeSampler(plainSampler, seed), new NopPruner(), null, dir, `plain-${seed}`);
      console.log(`seed ${seed} without pruning: ${plain.trials} trials, ${plain.epochs} epochs, ${plain.seconds.toFixed(0)} s, best val ${pct(plain.best)}`);
      const hb = await run(data, seed, makeSampler(hbSampler, seed), new HyperbandPruner({ minResource, maxResource: epochs, reductionFactor: 3 }), plain.epochs, dir, `hyperband-${seed}`);
      console.log(
        `seed ${seed} Hyperband:       ${hb.trials} trials (${hb.complete} complete, ${hb.pruned} pruned), ${hb.epochs} epochs, ` +
          `${hb.seconds.toFixed(0)} s, best val ${pct(hb.best)}`,
      );
      if (!flags['no-retrain']) {
        plain.test = await retrainTest(data, plain.bestTrial, seed);
        hb.test = await retrainTest(data, hb.bestTrial, seed);
      }
      const reach = epochsToReach(hb.curve, plain.best);
      const third = plain.epochs / 3;
      console.log('\n| epochs spent | best val acc, no pruning | best val acc, Hyperband | complete trials, no pruning / Hyperband |\n|---:|---:|---:|---:|');
      for (const f of [0.1, 0.2, 1 / 3, 0.5, 0.75, 1]) {
        const b = Math.round(f * plain.epochs);
        const [p, h] = [within(plain.curve, b), within(hb.curve, b)];
        console.log(`| ${b} (${(100 * f).toFixed(0)} %) | ${pct(p.best)} | ${pct(h.best)} | ${p.complete} / ${h.complete} |`);
      }
      const line =
        `| ${seed} | ${pct(plain.best)} | ${plain.epochs} | ${reach === null ? 'not reached' : `${reach} (${((100 * reach) / plain.epochs).toFixed(0)} %)`} ` +
        `| ${pct(bestWithin(hb.curve, third))} | ${pct(hb.best)} | ${plain.test === undefined ? '–' : pct(plain.test)} | ${hb.test === undefined ? '–' : pct(hb.test)} ` +
        `| ${plain.seconds.toFixed(0)} s / ${hb.seconds.toFixed(0)} s | ${reach !== null && reach <= third ? '✓' : '✗'} |`;
      summary.push(line);
      ratios.push(reach === null ? null : reach / plain.epochs);
      console.log(`\nbest without pruning: trial #${plain.bestTrial.number} ${JSON.stringify(plain.bestTrial.params)}`);
      console.log(`best with Hyperband:  trial #${hb.bestTrial.number} ${JSON.stringify(hb.bestTrial.params)}\n`);
    } finally {
      data.dispose();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  '| seed | best val, no pruning (target) | its epochs E | Hyperband epochs to reach target | Hyperband best within E/3 | Hyperband best within E ' +
    '| test acc, best retrained: no pruning | test acc: Hyperband | time no pruning / Hyperband | ≤ E/3 |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|');
for (const l of summary) console.log(l);
const met = ratios.filter((r) => r !== null && r <= 1 / 3).length;
const reached = ratios.filter((r): r is number => r !== null).sort((a, b) => a - b);
console.log(
  `\ngoal (target reached within E/3) met for ${met} of ${ratios.length} seeds; target reached at all (within E) for ${reached.length}` +
    (reached.length > 0 ? `, at ${reached.map((r) => `${(100 * r).toFixed(0)} %`).join(', ')} of E` : ''),
);
