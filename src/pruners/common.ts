/**
 * Helpers shared by the pruners: state and direction checks, the warmup/interval rule, percentiles,
 * and study-level values that must agree across processes (kept in study system attributes).
 */
import { InvalidStateError } from '../errors.js';
import type { StudyView } from '../trial/index.js';
import type { Storage } from '../storage/base.js';
import { TrialState, type FrozenTrial, type StudyDirection } from '../trial/index.js';

/**
 * Pruning only makes sense for a trial that is still running. `trial.shouldPrune()` already refuses
 * finished trials; this covers direct `pruner.prune()` calls and a trial failed as stale by another
 * process between its last report and the check.
 */
export function assertRunning(pruner: string, trial: FrozenTrial): void {
  if (trial.state !== TrialState.RUNNING) {
    throw new InvalidStateError(`${pruner} cannot prune trial ${trial.number}: it is ${trial.state}, not RUNNING`);
  }
}

/**
 * The direction that intermediate values are ranked by. Pruners that rank trials need one objective:
 * intermediate values are single numbers and there is no single order for several objectives.
 */
export function singleDirection(pruner: string, study: StudyView): StudyDirection {
  if (study.directions.length !== 1) {
    throw new InvalidStateError(
      `${pruner} does not support multi-objective studies: study ${JSON.stringify(study.studyName)} has ` +
        `${study.directions.length} objectives (use NopPruner or ThresholdPruner)`,
    );
  }
  return study.directions[0]!;
}

/** The largest step the trial reported at, or null. */
export function lastStep(trial: FrozenTrial): number | null {
  let last: number | null = null;
  for (const s of trial.intermediateValues.keys()) if (last === null || s > last) last = s;
  return last;
}

/**
 * The warmup/interval rule: checks happen at steps warmup, warmup + interval, warmup + 2·interval, ...
 * A trial that reports sparsely is checked at its first report at or past each such step (the check
 * is postponed, never skipped), and only once per interval.
 */
export function isCheckStep(trial: FrozenTrial, step: number, warmupSteps: number, intervalSteps: number): boolean {
  if (step < warmupSteps) return false;
  const nearestCheck = Math.floor((step - warmupSteps) / intervalSteps) * intervalSteps + warmupSteps;
  let previous = -1;
  for (const s of trial.intermediateValues.keys()) if (s !== step && s > previous) previous = s;
  return previous < nearestCheck;
}

/** The q-th percentile (0..100) with linear interpolation between order statistics (NumPy's default). */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return lo === hi ? a : a + (b - a) * (pos - lo);
}

/**
 * A study-level value estimated once from history (an 'auto' resource) and shared by every process:
 * the first process to estimate it stores it with set-if-absent and everyone uses the stored value, so
 * all workers agree on rungs and brackets even when their histories differed at estimation time.
 * Resolved values are cached per storage and study, since a stored value never changes.
 */
export class SharedStudyValue {
  private readonly cache = new WeakMap<Storage, Map<number, number>>();

  constructor(private readonly key: string) {}

  /** The stored value, or — when none is stored yet — `estimate()` stored; null while it has none. */
  async get(study: StudyView, estimate: () => Promise<number | null>): Promise<number | null> {
    const cached = this.cache.get(study.storage)?.get(study.studyId);
    if (cached !== undefined) return cached;
    let value = await this.read(study);
    if (value === null) {
      const estimated = await estimate();
      if (estimated === null) return null;
      await study.storage.setStudySystemAttrIfAbsent(study.studyId, this.key, estimated);
      value = (await this.read(study)) ?? estimated;
    }
    let perStudy = this.cache.get(study.storage);
    if (perStudy === undefined) this.cache.set(study.storage, (perStudy = new Map()));
    perStudy.set(study.studyId, value);
    return value;
  }

  /** The stored value without estimating. */
  async peek(study: StudyView): Promise<number | null> {
    return this.cache.get(study.storage)?.get(study.studyId) ?? (await this.read(study));
  }

  private async read(study: StudyView): Promise<number | null> {
    const v = (await study.storage.getStudySystemAttrs(study.studyId))[this.key];
    return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : null;
  }
}
