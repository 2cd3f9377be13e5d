/**
 * SuccessiveHalvingPruner: asynchronous successive halving (ASHA, Li et al. 2018).
 *
 * Rung k ends at step minResource · reductionFactor^(minEarlyStoppingRate + k). When a trial reaches
 * the end of its current rung it records its latest value there (trial system attribute
 * `completed_rung_k`) and is promoted to the next rung only if that value is in the best
 * 1/reductionFactor of all values recorded at that rung so far — by any trial, in any process, since
 * the records live in storage. Otherwise it is pruned. Decisions never wait for other trials: that is
 * what makes it asynchronous (early trials are judged against few competitors, and are promoted
 * more easily).
 */
import { InvalidArgumentError } from '../errors.js';
import type { StudyView } from '../trial/index.js';
import { TrialState, type FrozenTrial, type StudyDirection } from '../trial/index.js';
import { integer, invalid, options } from '../validate.js';
import type { Pruner } from './base.js';
import { assertRunning, lastStep, SharedStudyValue, singleDirection } from './common.js';

export interface SuccessiveHalvingPrunerOptions {
  /**
   * Steps a trial always runs before its first promotion check (r in the paper), an integer >= 1, or
   * 'auto' (default): 1/100 of the largest step of the COMPLETE trials (at least 1), estimated at the
   * first check after a trial completed — until then nothing is pruned. The estimate is stored with
   * the study (system attribute `pruner:successiveHalving:minResource`), so every process uses the same.
   */
  minResource?: number | 'auto';
  /** η: about 1/η of the trials reaching a rung are promoted. An integer >= 2; default 4. */
  reductionFactor?: number;
  /** s: the first rung ends at minResource · η^s. An integer >= 0; default 0. */
  minEarlyStoppingRate?: number;
  /**
   * Until more than this many trials recorded a value at a rung, trials reaching that rung are pruned
   * there (they serve as the rung's reference set; as in Optuna). Needs a numeric `minResource`. Default 0.
   */
  bootstrapCount?: number;
}

const OPTION_NAMES = ['minResource', 'reductionFactor', 'minEarlyStoppingRate', 'bootstrapCount'] as const;

/** The trial system attribute holding the value a trial recorded when it completed `rung`. */
export function completedRungKey(rung: number): string {
  return `completed_rung_${rung}`;
}

/** The rung a trial is in: the number of rungs it completed (and was promoted from). */
export function currentRung(trial: FrozenTrial): number {
  let rung = 0;
  while (completedRungKey(rung) in trial.systemAttrs) rung++;
  return rung;
}

/** Validates a resource option shared with HyperbandPruner. */
export function resourceOption(name: string, value: unknown, auto: boolean): number | 'auto' {
  if (auto && value === 'auto') return 'auto';
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalid(name, auto ? '"auto" or an integer >= 1' : 'an integer >= 1', value);
  }
  return value;
}

const autoMinResource = new SharedStudyValue('pruner:successiveHalving:minResource');

export class SuccessiveHalvingPruner implements Pruner {
  readonly minResource: number | 'auto';
  readonly reductionFactor: number;
  readonly minEarlyStoppingRate: number;
  readonly bootstrapCount: number;

  constructor(opts?: SuccessiveHalvingPrunerOptions) {
    const o = options<SuccessiveHalvingPrunerOptions>('SuccessiveHalvingPruner options', opts, OPTION_NAMES);
    this.minResource = resourceOption('minResource', o.minResource ?? 'auto', true);
    this.reductionFactor = integer('reductionFactor', o.reductionFactor ?? 4, 2);
    this.minEarlyStoppingRate = integer('minEarlyStoppingRate', o.minEarlyStoppingRate ?? 0, 0);
    this.bootstrapCount = integer('bootstrapCount', o.bootstrapCount ?? 0, 0);
    if (this.bootstrapCount > 0 && this.minResource === 'auto') {
      throw new InvalidArgumentError(
        `\`bootstrapCount\` (${this.bootstrapCount}) needs a numeric \`minResource\`, not "auto": ` +
          'rungs must be fixed before trials can be held back for them',
      );
    }
  }

  /** The step at which `rung` ends, for a given minimum resource. */
  rungEnd(minResource: number, rung: number): number {
    return minResource * this.reductionFactor ** (this.minEarlyStoppingRate + rung);
  }

  async prune(study: StudyView, trial: FrozenTrial): Promise<boolean> {
    assertRunning(this.constructor.name, trial);
    const direction = singleDirection(this.constructor.name, study);
    const step = lastStep(trial);
    if (step === null) return false;
    // The latest value, not the value at the rung's exact step: trials may report sparsely.
    const value = trial.intermediateValues.get(step)!;
    let trials: FrozenTrial[] | null = null;
    let minResource: number;
    if (this.minResource === 'auto') {
      const resolved = await autoMinResource.get(study, async () => estimateMinResource((trials = await study.getTrials())));
      if (resolved === null) return false;
      minResource = resolved;
    } else {
      minResource = this.minResource;
    }

    // A trial that jumped several rung ends since its last check completes each of them in turn.
    for (let rung = currentRung(trial); step >= this.rungEnd(minResource, rung); rung++) {
      trials ??= await study.getTrials();
      const key = completedRungKey(rung);
      await study.storage.setTrialSystemAttr(trial.trialId, key, value);
      const competing = [value];
      for (const t of trials) {
        const v = t.systemAttrs[key];
        // This trial's own record is `value`; another snapshot of it must not count twice.
        if (t.trialId !== trial.trialId && typeof v === 'number') competing.push(v);
      }
      if (competing.length <= this.bootstrapCount) return true;
      if (!isPromotable(value, competing, this.reductionFactor, direction)) return true;
    }
    return false;
  }
}

/** Optuna's heuristic: 1/100 of the largest last step of the COMPLETE trials, at least 1; null without one. */
export function estimateMinResource(trials: readonly FrozenTrial[]): number | null {
  let maxLast = -1;
  for (const t of trials) {
    if (t.state !== TrialState.COMPLETE) continue;
    const s = lastStep(t);
    if (s !== null && s > maxLast) maxLast = s;
  }
  return maxLast < 0 ? null : Math.max(Math.floor(maxLast / 100), 1);
}

/**
 * Whether `value` is among the best ⌊n/η⌋ of the n competing values (ties promote). With fewer than
 * η competitors the best one still is promoted, so the first trial at a rung always goes on.
 */
export function isPromotable(value: number, competing: readonly number[], reductionFactor: number, direction: StudyDirection): boolean {
  const k = Math.max(Math.floor(competing.length / reductionFactor) - 1, 0);
  const sorted = [...competing].sort((a, b) => a - b);
  return direction === 'minimize' ? value <= sorted[k]! : value >= sorted[sorted.length - 1 - k]!;
}
