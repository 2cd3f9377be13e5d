/**
 * The search: ask the study for a pipeline, cross-validate it on the development rows (at rising
 * budgets for learners that have one, reporting each to the pruner), tell the score, until the time
 * budget runs out. The test rows are never touched here.
 *
 * Time budget: no new trial starts when the time left is below the median duration of the complete
 * trials of this run plus the estimated refit of its best pipelines; a trial running when the deadline
 * passes stops before its next fit (so the run overruns by one fit at most) and is told PRUNED.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Study } from '../study/study.js';
import type { Trial } from '../study/trial.js';
import { TrialState } from '../trial/index.js';
import { better, METRICS, type MetricName } from './metrics.js';
import { fitPreprocessor, type PreprocessConfig } from './preprocess.js';
import type { ProgressEvent } from './progress.js';
import { FIDELITIES, FIDELITY_STEPS, MULTI_FIDELITY, suggestPipeline, type DataShape, type PipelineSpec } from './space.js';
import type { SplitPlan } from './split.js';
import type { Learner, Matrix, Table, Task } from './types.js';

/** Everything the search reads; the rows of `table` are aligned with `y` (missing targets dropped). */
export interface SearchContext {
  readonly table: Table;
  readonly features: readonly string[];
  /** (n) targets or class indices 0..k-1, aligned with the table's rows. */
  readonly y: Float64Array;
  readonly task: Task;
  /** Classes (1 for regression). */
  readonly k: number;
  readonly metric: MetricName;
  readonly plan: SplitPlan;
  readonly learners: readonly Learner[];
  readonly shape: DataShape;
  readonly seed: number;
}

/** One evaluated pipeline of this run. */
export interface TrialRecord {
  readonly number: number;
  readonly spec: PipelineSpec;
  readonly family: string;
  /** Mean and standard deviation over the folds of the metric at full budget. */
  readonly score: number;
  readonly std: number;
  /** Seconds the whole trial took (every fold, every budget). */
  readonly seconds: number;
  /** Mean seconds of one fold's fit at full budget: the basis of the refit estimate. */
  readonly foldFitSeconds: number;
  /** (nValid · width) out-of-fold predictions at full budget, rows in `validRows(plan)` order. */
  readonly oof: Float64Array;
}

export interface SearchOutcome {
  /** Complete trials of this run, in the order they finished. */
  readonly records: readonly TrialRecord[];
  /** The first fit's duration and what it was, for the "budget too small" message. */
  readonly firstFit: { seconds: number; learner: string } | null;
  readonly firstFailure: string | null;
}

/** Every fold's validation rows, in fold order: the rows of the out-of-fold predictions. */
export function validRows(plan: SplitPlan): Int32Array {
  const out: number[] = [];
  for (const f of plan.folds) out.push(...f.valid);
  return Int32Array.from(out);
}

/** `table` restricted to `rows`, in that order. */
export function takeRows(table: Table, rows: Int32Array): Table {
  return {
    nRows: rows.length,
    columns: table.columns.map((c) =>
      c.kind === 'numeric'
        ? { name: c.name, kind: 'numeric', values: Float64Array.from(rows, (r) => c.values[r]!) }
        : { name: c.name, kind: 'categorical', values: Array.from(rows, (r) => c.values[r] ?? null) },
    ),
  };
}

/** Width of one prediction row in the FittedModel layout. */
export function predictionWidth(task: Task, k: number): number {
  return task === 'multiclass' ? k : 1;
}

/** Thrown inside a trial when the deadline passed; the trial is told PRUNED. */
class DeadlineReached extends Error {}

/** The (train, valid) matrices of each fold for one preprocessing configuration. */
type FoldData = { readonly train: Matrix; readonly valid: Matrix; readonly yTrain: Float64Array; readonly yValid: Float64Array }[];

/**
 * Fold matrices per preprocessing configuration. The preprocessing space has a few dozen points, so
 * most trials reuse matrices already built; the oldest entries go first past CACHE_SIZE.
 */
const CACHE_SIZE = 12;

class FoldCache {
  private readonly entries = new Map<string, FoldData>();
  constructor(private readonly ctx: SearchContext) {}

  get(config: PreprocessConfig): FoldData {
    const key = JSON.stringify(config);
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit); // most recently used last
      return hit;
    }
    const { table, features, y, task, plan } = this.ctx;
    const data = plan.folds.map((f) => {
      const yTrain = Float64Array.from(f.train, (r) => y[r]!);
      const prep = fitPreprocessor(table, features, config, { rows: f.train, y: yTrain, task });
      return { train: prep.transform(takeRows(table, f.train)), valid: prep.transform(takeRows(table, f.valid)), yTrain, yValid: Float64Array.from(f.valid, (r) => y[r]!) };
    });
    this.entries.set(key, data);
    if (this.entries.size > CACHE_SIZE) this.entries.delete(this.entries.keys().next().value!);
    return data;
  }
}

function median(a: readonly number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Pipelines whose refit the search keeps time for: an ensemble draws most of its weight from the run's best few. */
const REFIT_RESERVE_PIPELINES = 5;

const now = (): number => performance.now() / 1000;

export interface SearchOptions {
  /** Seconds from `start` (performance.now() / 1000) at which the search stops. */
  readonly deadline: number;
  readonly start: number;
  readonly onProgress?: (e: ProgressEvent) => void;
}

/** Runs trials on `study` until the deadline. */
export async function search(study: Study, ctx: SearchContext, opts: SearchOptions): Promise<SearchOutcome> {
  const cache = new FoldCache(ctx);
  const records: TrialRecord[] = [];
  const direction = METRICS[ctx.metric].direction;
  const nDev = ctx.plan.dev.length;
  const nFoldTrain = ctx.plan.folds[0]!.train.length;
  let firstFit: SearchOutcome['firstFit'] = null;
  let firstFailure: string | null = null;
  const bestOfStudy = (): number | null => {
    const done = study.trials.filter((t) => t.state === TrialState.COMPLETE && t.values !== null);
    if (done.length === 0) return null;
    return done.map((t) => t.values![0]!).reduce((a, b) => (better(direction, a, b) ? a : b));
  };

  // The run's first trial always starts, so that a budget too small for any fit is reported with its duration.
  for (let asked = 0; ; asked++) {
    const left = opts.deadline - now();
    if (asked > 0 && left <= 0) break;
    if (records.length > 0) {
      // Time is kept for the final refit on all development rows of the pipelines an ensemble would
      // likely hold (the run's best few); a refit scales with a fold's fit by the row count.
      const top = [...records].sort((a, b) => (better(direction, a.score, b.score) ? -1 : 1)).slice(0, REFIT_RESERVE_PIPELINES);
      const refit = top.reduce((s, r) => s + r.foldFitSeconds, 0) * (nDev / nFoldTrain);
      if (left < median(records.map((r) => r.seconds)) + refit) break;
    }
    const trial = await study.ask();
    const t0 = now();
    let spec: PipelineSpec | null = null;
    let family = '?';
    let budgetReached = 0;
    let lastScore: number | null = null;
    let state: ProgressEvent['state'] = 'complete';
    let reason: string | undefined;
    try {
      spec = suggestPipeline(trial, ctx.learners, ctx.shape);
      const learner = ctx.learners.find((l) => l.name === spec!.learner)!;
      family = learner.name;
      trial.setUserAttr('pipeline', spec);
      trial.setUserAttr('family', learner.family);
      const folds = cache.get(spec.preprocess);
      const budgets = MULTI_FIDELITY.has(learner.name) ? FIDELITIES : [1];
      let result: Awaited<ReturnType<typeof crossValidate>> | null = null;
      for (const budget of budgets) {
        const stop = (): boolean => firstFit !== null && now() > opts.deadline;
        result = await crossValidate(learner, spec, folds, budget, ctx, stop, (s) => {
          firstFit ??= { seconds: s, learner: learner.name };
        });
        budgetReached = budget;
        lastScore = result.score;
        if (budgets.length > 1) {
          trial.report(result.score, Math.round(budget * FIDELITY_STEPS));
          if (budget < 1 && (await trial.shouldPrune())) {
            state = 'pruned';
            break;
          }
        }
      }
      if (state === 'pruned') {
        await study.tell(trial, TrialState.PRUNED);
      } else {
        const r = result!;
        trial.setUserAttr('cvStd', r.std);
        trial.setUserAttr('seconds', now() - t0);
        await study.tell(trial, r.score);
        const record: TrialRecord = { number: trial.number, spec, family: learner.family, score: r.score, std: r.std, seconds: now() - t0, foldFitSeconds: r.foldFitSeconds, oof: r.oof };
        records.push(record);
      }
    } catch (err) {
      if (err instanceof DeadlineReached) {
        state = 'pruned';
        reason = 'stopped: time budget reached';
        trial.setUserAttr('stopped', 'time budget reached');
        await study.tell(trial, TrialState.PRUNED);
      } else {
        state = 'failed';
        reason = err instanceof Error ? err.message : String(err);
        firstFailure ??= `${family}: ${reason}`;
        await tellFailed(study, trial, reason);
      }
    }
    opts.onProgress?.({
      trial: trial.number,
      family,
      state,
      score: lastScore,
      budget: budgetReached,
      best: bestOfStudy(),
      metric: ctx.metric,
      elapsed: now() - opts.start,
      timeLeft: Math.max(0, opts.deadline - now()),
      ...(reason === undefined ? {} : { reason }),
    });
  }
  return { records, firstFit, firstFailure };
}

async function tellFailed(study: Study, trial: Trial, reason: string): Promise<void> {
  await study.tell(trial, TrialState.FAIL, { failReason: reason });
}

/**
 * Fits `learner` on each fold's training rows at `budget` and scores its validation rows. Resolves to
 * the mean and standard deviation of the fold scores and the out-of-fold predictions.
 */
async function crossValidate(
  learner: Learner,
  spec: PipelineSpec,
  folds: FoldData,
  budget: number,
  ctx: SearchContext,
  stop: () => boolean,
  onFit: (seconds: number) => void,
): Promise<{ score: number; std: number; oof: Float64Array; foldFitSeconds: number }> {
  const width = predictionWidth(ctx.task, ctx.k);
  const metric = METRICS[ctx.metric];
  const kk = ctx.task === 'regression' ? 1 : ctx.k;
  const nValid = folds.reduce((s, f) => s + f.yValid.length, 0);
  const oof = new Float64Array(nValid * width); // (nValid, width) row-major, folds in order
  const scores: number[] = [];
  let fitSeconds = 0;
  let offset = 0;
  for (const [i, f] of folds.entries()) {
    if (stop()) throw new DeadlineReached();
    const t0 = now();
    const model = await learner.fit(f.train, f.yTrain, ctx.task, spec.config, {
      budget,
      seed: ctx.seed + i,
      ...(ctx.task === 'regression' ? {} : { nClasses: ctx.k }),
    });
    try {
      const pred = await model.predict(f.valid);
      fitSeconds += now() - t0;
      onFit(now() - t0);
      if (pred.length !== f.yValid.length * width) {
        throw new InvalidArgumentError(`The ${learner.name} model predicted ${pred.length} values for ${f.yValid.length} rows (expected ${width} per row)`);
      }
      for (const v of pred) if (!Number.isFinite(v)) throw new InvalidArgumentError(`The ${learner.name} model predicted a non-finite value (${v})`);
      oof.set(pred, offset * width);
      offset += f.yValid.length;
      scores.push(metric.compute(f.yValid, pred, kk));
    } finally {
      model.dispose?.();
    }
  }
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / scores.length);
  return { score: mean, std, oof, foldFitSeconds: fitSeconds / folds.length };
}
