/**
 * Hyperband on the digits MLP task (examples/digits): validation accuracy reached against epochs spent,
 * with and without pruning, same sampler family (GP by default: a GPSampler without pruning, BOHB around a
 * GPSampler with Hyperband; TPE with --sampler tpe|bohb),
 * same space, same 27-epoch maximum.
 *
 *   1. without pruning: `--trials` trials, each trained the full 27 epochs. Its best validation accuracy
 *      is the target; its epochs are the budget E.
 *   2. with HyperbandPruner(minResource 1 (--min-resource), maxResource 27, η 3): trials until E epochs are spent.
 *
 * "Reached" counts COMPLETE trials only (trained the full 27 epochs, like every trial of run 1), so a
 * lucky early epoch of a pruned trial does not count. Goal: run 2 reaches run 1's final accuracy within
 * E/3 epochs, judged two ways:
 *   - validation rule: a COMPLETE trial's validation accuracy ≥ run 1's best validation accuracy;
 *   - test rule: the model run 2 would deliver after E/3 epochs (its best COMPLETE trial by validation
 *     accuracy so far) scores at least as well on the test split as the model run 1 delivers after E.
 *     The best validation accuracy of many trainings is biased upwards (the winner's curse: with 359
 *     validation images one image is 0.28 pp), the more so the more trials it is the maximum of; the
 *     test split, never used for selection, is not.
 * Training is seeded (mlpObjective({ seed }): weights, dropout masks and batch order), so every number here
 * reproduces, and a trial's test accuracy — evaluated after its last epoch — is that of its configuration
 * retrained; `--retrain-check` retrains each run's best and checks that it reproduces.
 *
 * Run: npm run bench:hyperband [-- --seeds 0,1,2,3,4 --trials 30 --epochs 27 --retrain-check --sampler tpe|bohb|gp-pruned|bohb-gp|mf-gp --min-resource 1 --bootstrap-count 0]
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
    'retrain-check': { type: 'boolean', default: false },
    // Sampler of the Hyperband run (the no-pruning run uses its family: tpe for tpe/bohb, gp for gp-pruned/bohb-gp).
    sampler: { type: 'string', default: 'bohb-gp' },
    'min-resource': { type: 'string', default: '1' },
    'bootstrap-count': { type: 'string', default: '0' },
  },
});
const SAMPLERS = ['tpe', 'bohb', 'gp-pruned', 'bohb-gp', 'mf-gp'] as const;
type SamplerKind = (typeof SAMPLERS)[number];
if (!(SAMPLERS as readonly string[]).includes(flags.sampler)) throw new Error(`--sampler: one of ${SAMPLERS.join(', ')}, not ${flags.sampler}`);
const hbSampler = flags.sampler as SamplerKind;
const plainSampler: SamplerKind = hbSampler === 'tpe' || hbSampler === 'bohb' ? 'tpe' : 'gp-pruned';
const minResource = Number(flags['min-resource']);
const bootstrapCount = Number(flags['bootstrap-count']);

/** tpe: multivariate TPE; bohb: BOHBSampler (TPE on the largest budget with enough observations);
 *  gp-pruned: GPSampler using PRUNED trials' last values; bohb-gp: BOHBSampler around a GPSampler;
 *  mf-gp: GPSampler with multiFidelity (one GP over parameters and budget, every trial's learning curve).
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
    case 'mf-gp':
      return new GPSampler({ seed, warnIndependentSampling: false, multiFidelity: { maxResource: epochs, minResource } });
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
  /** Test accuracy of the best COMPLETE trial so far (the first to reach `best`); NaN before the first. */
  readonly test: number;
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
  /** Test accuracy of each COMPLETE trial, by trial number. */
  readonly tests: ReadonlyMap<number, number>;
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
  let bestTest = NaN;
  let complete = 0;
  const tests = new Map<number, number>();
  const t0 = performance.now();
  const onTrained = (t: { number: number }, r: { test?: { accuracy: number } }) => tests.set(t.number, r.test!.accuracy);
  await study.optimize(mlpObjective(data, { epochs, space: SPACE, seed, onTrained }), {
    // Without a budget: exactly nTrials. With one: until the budget is spent (the cap is never reached).
    nTrials: epochBudget === null ? nTrials : 100 * nTrials,
    callbacks: [
      (s, t) => {
        spent += t.intermediateValues.size;
        if (t.state === TrialState.COMPLETE) {
          if (t.values![0]! > best) {
            best = t.values![0]!;
            bestTest = tests.get(t.number)!;
          }
          complete++;
        }
        curve.push({ epochs: spent, best, complete, test: bestTest });
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
    tests,
  };
}

/** The last point within `budget` epochs (best accuracy and complete trials by then). */
function within(curve: readonly Point[], budget: number): Point {
  let last: Point = { epochs: 0, best: 0, complete: 0, test: NaN };
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

/** Retrains a trial's parameters with the run's seed and returns the test accuracy (for --retrain-check). */
async function retrainTest(data: Digits, t: FrozenTrial, seed: number): Promise<number> {
  const params = mlpParamsFrom(t.params);
  const { model } = buildMlp(params, { inputDim: data.inputDim, nClasses: data.nClasses, seed });
  try {
    // Same seed as the trial's training (mlpObjective({ seed })): the same weights, dropout masks and batch order.
    return (await trainAndEvaluate(model, data, { epochs, batchSize: params.batchSize, seed })).test!.accuracy;
  } finally {
    disposeModel(model);
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const backend = await loadTf();
console.log(`# Hyperband on digits: ${nTrials} trials × ${epochs} epochs without pruning vs Hyperband at the same epoch budget`);
console.log(`backend: ${backend.description}; seeds ${seeds.join(', ')}; samplers: ${plainSampler} without pruning, ${hbSampler} with Hyperband (minResource ${minResource}, bootstrapCount ${bootstrapCount})\n`);

const dir = mkdtempSync(join(tmpdir(), 'tunable-bench-hb-'));
interface SeedRow {
  readonly seed: number;
  readonly target: number;
  readonly reach: number | null;
  readonly hbValThird: number;
  readonly hbValEnd: number;
  readonly plainTest: number;
  readonly hbTestThird: number;
  readonly hbTestEnd: number;
  readonly trials: string;
  readonly times: string;
}
const rowsOut: SeedRow[] = [];
try {
  for (const seed of seeds) {
    const data = loadDigits(seed);
    try {
      const plain = await run(data, seed, makeSampler(plainSampler, seed), new NopPruner(), null, dir, `plain-${seed}`);
      console.log(`seed ${seed} without pruning: ${plain.trials} trials, ${plain.epochs} epochs, ${plain.seconds.toFixed(0)} s, best val ${pct(plain.best)}`);
      const hb = await run(data, seed, makeSampler(hbSampler, seed), new HyperbandPruner({ minResource, maxResource: epochs, reductionFactor: 3, bootstrapCount }), plain.epochs, dir, `hyperband-${seed}`);
      console.log(
        `seed ${seed} Hyperband:       ${hb.trials} trials (${hb.complete} complete, ${hb.pruned} pruned), ${hb.epochs} epochs, ` +
          `${hb.seconds.toFixed(0)} s, best val ${pct(hb.best)}`,
      );
      if (flags['retrain-check']) {
        for (const [label, r] of [['no pruning', plain], ['Hyperband', hb]] as const) {
          const again = await retrainTest(data, r.bestTrial, seed);
          const stored = r.tests.get(r.bestTrial.number)!;
          console.log(`retrain check, ${label}: trial #${r.bestTrial.number} test accuracy ${pct(again)} retrained vs ${pct(stored)} in the study ${again === stored ? '(reproduced)' : '(DIFFERS)'}`);
          if (again !== stored) process.exitCode = 1;
        }
      }
      const reach = epochsToReach(hb.curve, plain.best);
      const third = plain.epochs / 3;
      console.log('\n| epochs spent | best val acc, no pruning | best val acc, Hyperband | test acc of that trial, no pruning / Hyperband | complete trials, no pruning / Hyperband |\n|---:|---:|---:|---:|---:|');
      for (const f of [0.1, 0.2, 1 / 3, 0.5, 0.75, 1]) {
        const b = Math.round(f * plain.epochs);
        const [p, h] = [within(plain.curve, b), within(hb.curve, b)];
        console.log(`| ${b} (${(100 * f).toFixed(0)} %) | ${pct(p.best)} | ${pct(h.best)} | ${pct(p.test)} / ${pct(h.test)} | ${p.complete} / ${h.complete} |`);
      }
      const hbThird = within(hb.curve, third);
      const plainEnd = within(plain.curve, Infinity);
      const row: SeedRow = {
        seed,
        target: plain.best,
        reach,
        hbValThird: hbThird.best,
        hbValEnd: hb.best,
        plainTest: plainEnd.test,
        hbTestThird: hbThird.test,
        hbTestEnd: within(hb.curve, Infinity).test,
        trials: `${hb.complete} / ${hb.pruned}`,
        times: `${plain.seconds.toFixed(0)} s / ${hb.seconds.toFixed(0)} s`,
      };
      rowsOut.push(row);
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
  '| seed | target: best val acc, no pruning (E epochs) | Hyperband epochs to reach it | Hyperband best val within E/3 | Hyperband best val within E ' +
    '| test acc of the delivered model: no pruning at E | Hyperband at E/3 | Hyperband at E | Hyperband trials (complete / pruned) | time no pruning / Hyperband | validation rule ≤ E/3 | test rule at E/3 |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|');
const E = nTrials * epochs;
for (const r of rowsOut) {
  console.log(
    `| ${r.seed} | ${pct(r.target)} | ${r.reach === null ? 'not reached' : `${r.reach} (${((100 * r.reach) / E).toFixed(0)} %)`} | ${pct(r.hbValThird)} | ${pct(r.hbValEnd)} ` +
      `| ${pct(r.plainTest)} | ${pct(r.hbTestThird)} | ${pct(r.hbTestEnd)} | ${r.trials} | ${r.times} | ${r.reach !== null && r.reach <= E / 3 ? '✓' : '✗'} | ${r.hbTestThird >= r.plainTest ? '✓' : '✗'} |`,
  );
}
const mean = (f: (r: SeedRow) => number) => rowsOut.reduce((a, r) => a + f(r), 0) / rowsOut.length;
console.log(
  `| mean | ${pct(mean((r) => r.target))} | | ${pct(mean((r) => r.hbValThird))} | ${pct(mean((r) => r.hbValEnd))} | ${pct(mean((r) => r.plainTest))} | ${pct(mean((r) => r.hbTestThird))} | ${pct(mean((r) => r.hbTestEnd))} | | | | ${mean((r) => r.hbTestThird) >= mean((r) => r.plainTest) ? '✓' : '✗'} |`,
);
const valMet = rowsOut.filter((r) => r.reach !== null && r.reach <= E / 3).length;
const testMet = rowsOut.filter((r) => r.hbTestThird >= r.plainTest).length;
const reached = rowsOut.filter((r) => r.reach !== null).map((r) => r.reach! / E).sort((a, b) => a - b);
console.log(
  `\nvalidation rule (target reached within E/3) met for ${valMet} of ${rowsOut.length} seeds; target reached at all (within E) for ${reached.length}` +
    (reached.length > 0 ? `, at ${reached.map((r) => `${(100 * r).toFixed(0)} %`).join(', ')} of E` : '') +
    `\ntest rule (Hyperband's model at E/3 at least as accurate on the test split as the no-pruning run's at E) met for ${testMet} of ${rowsOut.length} seeds; ` +
    `mean test accuracy ${pct(mean((r) => r.hbTestThird))} (Hyperband at E/3) vs ${pct(mean((r) => r.plainTest))} (no pruning at E)`,
);
