/**
 * The real case: a one-hidden-layer MLP on digits (examples/data/digits.csv, 1797 8×8 images), tuned
 * over Adam's learning rate, the hidden width and an L2 penalty. The source study tunes it on a small
 * subsample of one split (few rows: it wants more regularisation than the target); the target study on
 * the full training part of another split, cold and with that source. Minimises validation error.
 *
 * Training is seeded (initialisers and batch order, through trainAndEvaluate({ seed })), so a
 * configuration has one value per seed and the variants differ only by what they propose.
 */
import { join } from 'node:path';
import { createStudy, GPSampler, TrialState, type Study, type Trial } from '../../src/index.js';
import { loadCsv } from '../../src/cli/demo.js';
import { disposeModel, disposeSplit, loadTf, stratifiedSplit, toSplit, trainAndEvaluate, type Split, type TfModule } from '../../src/tfjs/index.js';
import { packageRoot } from '../../src/util/paths.js';
import type { Variant } from './variants.js';

export interface DigitsOptions {
  readonly seeds: readonly number[];
  readonly sourceTrials: number;
  readonly targetTrials: number;
  readonly epochs: number;
  /** Training rows of the source task (a subsample of its split's training part). */
  readonly sourceRows: number;
  readonly variants: readonly Variant[];
}

export const DIGITS_CHECKPOINTS = [5, 10] as const;

export interface DigitsResult {
  /** The checkpoints ≤ targetTrials (targetTrials alone when it is below all). */
  readonly checkpoints: readonly number[];
  /** variant → (seeds) runs; each run (checkpoints) best validation error after that many target trials. */
  readonly errors: ReadonlyMap<string, readonly (readonly number[])[]>;
  /** (seeds) the source study's best validation error (on its own split). */
  readonly sourceBest: readonly number[];
  readonly backend: string;
  readonly trainRows: { readonly source: number; readonly target: number; readonly valid: number };
  /** Median seconds of one training on the target's rows. */
  readonly secondsPerTraining: number;
  readonly seconds: number;
  /** Variants that threw (dropped from then on), with the first error. */
  readonly failures: readonly string[];
}

/** The search space: the same names and ranges in the source and the target. */
function suggestParams(t: Trial): { learningRate: number; units: number; l2: number } {
  return {
    learningRate: t.suggestFloat('learningRate', 1e-4, 0.3, { log: true }),
    units: t.suggestInt('units', 8, 256, { log: true }),
    l2: t.suggestFloat('l2', 1e-6, 1e-1, { log: true }),
  };
}

interface Data {
  readonly train: Split;
  readonly valid: Split;
}

async function validationError(tf: TfModule, data: Data, t: Trial, epochs: number, seed: number, timings: number[]): Promise<number> {
  const p = suggestParams(t);
  const reg = () => tf.regularizers.l2({ l2: p.l2 });
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [64], units: p.units, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }), kernelRegularizer: reg() }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), kernelRegularizer: reg() }));
  model.compile({ optimizer: tf.train.adam(p.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  try {
    const r = await trainAndEvaluate(model, data, { epochs, batchSize: 32, seed });
    timings.push(r.seconds);
    // A diverged model (NaN loss) predicts one class: its accuracy is still a number, so no special case.
    return 1 - r.valid.accuracy;
  } finally {
    disposeModel(model);
  }
}

const bestAfter = (study: Study, ks: readonly number[]): number[] => {
  const ys = [...study.trials].filter((t) => t.state === TrialState.COMPLETE).sort((a, b) => a.number - b.number).map((t) => t.values![0]!);
  return ks.map((k) => Math.min(...ys.slice(0, k)));
};

export async function runDigits(o: DigitsOptions, log: (line: string) => void): Promise<DigitsResult> {
  const started = performance.now();
  const { tf, description } = await loadTf();
  const { X, y } = loadCsv(join(packageRoot(), 'examples', 'data', 'digits.csv'));
  const within = DIGITS_CHECKPOINTS.filter((k) => k <= o.targetTrials);
  const checkpoints = within.length > 0 ? within : [o.targetTrials];
  const errors = new Map<string, number[][]>(o.variants.map((v) => [v.key, []]));
  const sourceBest: number[] = [];
  const failures = new Map<string, string>();
  const sourceTimings: number[] = [];
  const targetTimings: number[] = [];
  let rows = { source: 0, target: 0, valid: 0 };
  const split = (r: readonly number[]): Split => toSplit(X, y, 10, { rows: r, scale: 1 / 16 });
  for (const seed of o.seeds) {
    // Different splits for the source and the target; the source trains on its first sourceRows rows
    // (stratifiedSplit shuffles the training part, so a prefix is a random subsample).
    const s = stratifiedSplit(y, { valid: 0.2 }, 1000 + seed);
    const t = stratifiedSplit(y, { valid: 0.2 }, seed);
    const source: Data = { train: split(s.train.slice(0, o.sourceRows)), valid: split(s.valid) };
    const target: Data = { train: split(t.train), valid: split(t.valid) };
    rows = { source: Math.min(o.sourceRows, s.train.length), target: t.train.length, valid: t.valid.length };
    try {
      const src = await createStudy({ storage: 'memory:', studyName: `digits-source#${seed}`, sampler: new GPSampler({ seed: 7919 + seed, warnIndependentSampling: false }) });
      await src.optimize((trial) => validationError(tf, source, trial, o.epochs, seed, sourceTimings), { nTrials: o.sourceTrials });
      sourceBest.push(src.bestValue);
      const cells: string[] = [];
      for (const v of o.variants.filter((x) => !failures.has(x.key))) {
        const study = await createStudy({ storage: 'memory:', sampler: v.make(seed, [src]) });
        try {
          await v.prepare?.(study, [src]);
          await study.optimize((trial) => validationError(tf, target, trial, o.epochs, seed, targetTimings), { nTrials: o.targetTrials });
        } catch (err) {
          failures.set(v.key, `digits ${v.key}: dropped, seed ${seed} threw ${err instanceof Error ? err.message : String(err)}`);
          log(`note: ${failures.get(v.key)!}`);
          errors.delete(v.key);
          continue;
        }
        const e = bestAfter(study, checkpoints);
        errors.get(v.key)!.push(e);
        cells.push(`${v.key} ${e.map((x) => (100 * x).toFixed(2)).join(' ')}`);
      }
      log(`digits seed ${seed}: source best ${(100 * src.bestValue).toFixed(2)} % | ${cells.join(' | ')} (% error after ${checkpoints.join(', ')})`);
    } finally {
      for (const d of [source, target]) {
        disposeSplit(d.train);
        disposeSplit(d.valid);
      }
    }
  }
  const sorted = [...targetTimings].sort((a, b) => a - b);
  return {
    checkpoints,
    errors,
    sourceBest,
    backend: description,
    trainRows: rows,
    secondsPerTraining: sorted[Math.floor(sorted.length / 2)] ?? NaN,
    seconds: (performance.now() - started) / 1000,
    failures: [...failures.values()],
  };
}
