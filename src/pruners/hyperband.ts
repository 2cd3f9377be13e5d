/**
 * HyperbandPruner (Li et al. 2018): several successive-halving brackets that trade the number of
 * trials against how early they are judged. Bracket b runs ASHA with minEarlyStoppingRate b, so
 * bracket 0 judges first at minResource and later brackets give their trials more steps before the
 * first cut.
 *
 * Since a study has no fixed trial count, each trial is assigned to a bracket by a hash of
 * (study name, trial number): deterministic, identical in every process, no coordination needed.
 * The hash is weighted so that bracket b receives a share proportional to Hyperband's n_s =
 * ⌈B·η^s/(s+1)⌉ with s = B − 1 − b (B brackets): the aggressive brackets get more trials. Each
 * bracket's ASHA only compares trials of the same bracket.
 *
 * Samplers: Optuna also restricts its TPE sampler's history to the trial's bracket. Here samplers see
 * the whole study by default — every trial's final value measures the same objective, and a model
 * fitted on all of them has more data. To reproduce Optuna, wrap the sampler in
 * `BracketFilteredSampler` (samplers/bracket-filtered.ts), or use `bracketOf` / `bracketView` in a
 * sampler of your own.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Distribution } from '../distributions/index.js';
import type { StudyView } from '../trial/index.js';
import { TrialState, type FrozenTrial } from '../trial/index.js';
import { integer, invalid, options } from '../validate.js';
import type { Pruner } from './base.js';
import { assertRunning, lastStep, SharedStudyValue, singleDirection } from './common.js';
import { resourceOption, SuccessiveHalvingPruner } from './successive-halving.js';

export interface HyperbandPrunerOptions {
  /** r: steps before the first check of the most aggressive bracket, an integer >= 1. Default 1. */
  minResource?: number;
  /**
   * R: the steps a trial runs at most, an integer >= minResource, or 'auto' (default): the largest
   * step reported by a COMPLETE trial + 1, fixed at the first check after a trial completed (nothing
   * is pruned before) and stored with the study (system attribute `pruner:hyperband:maxResource`) so
   * every process agrees on the brackets. An 'auto' estimate below minResource gives one bracket.
   */
  maxResource?: number | 'auto';
  /** η, an integer >= 2. Default 3. */
  reductionFactor?: number;
  /** Passed to each bracket's SuccessiveHalvingPruner; needs a numeric maxResource. Default 0. */
  bootstrapCount?: number;
}

/** The brackets for one resolved maxResource. */
export interface BracketLayout {
  readonly maxResource: number;
  /** B = ⌊log_η(R/r)⌋ + 1, computed exactly in integers. */
  readonly nBrackets: number;
  /** Hyperband's n_s per bracket: the relative share of trials each bracket receives. */
  readonly budgets: readonly number[];
  readonly totalBudget: number;
}

const OPTION_NAMES = ['minResource', 'maxResource', 'reductionFactor', 'bootstrapCount'] as const;
const autoMaxResource = new SharedStudyValue('pruner:hyperband:maxResource');

export class HyperbandPruner implements Pruner {
  readonly minResource: number;
  readonly maxResource: number | 'auto';
  readonly reductionFactor: number;
  readonly bootstrapCount: number;
  /** One layout and set of bracket pruners per resolved maxResource (one, except across studies). */
  private readonly layouts = new Map<number, { layout: BracketLayout; pruners: SuccessiveHalvingPruner[] }>();

  constructor(opts?: HyperbandPrunerOptions) {
    const o = options<HyperbandPrunerOptions>('HyperbandPruner options', opts, OPTION_NAMES);
    this.minResource = resourceOption('minResource', o.minResource ?? 1, false) as number;
    this.maxResource = resourceOption('maxResource', o.maxResource ?? 'auto', true);
    this.reductionFactor = integer('reductionFactor', o.reductionFactor ?? 3, 2);
    this.bootstrapCount = integer('bootstrapCount', o.bootstrapCount ?? 0, 0);
    if (this.maxResource !== 'auto' && this.maxResource < this.minResource) {
      throw invalid('maxResource', `an integer >= minResource (${this.minResource})`, this.maxResource);
    }
    if (this.bootstrapCount > 0 && this.maxResource === 'auto') {
      throw new InvalidArgumentError(
        `\`bootstrapCount\` (${this.bootstrapCount}) needs a numeric \`maxResource\`, not "auto": ` +
          'the brackets must be fixed before trials can be held back for them',
      );
    }
  }

  /** The bracket layout for this study, or null while an 'auto' maxResource is still unknown. */
  async layout(study: StudyView): Promise<BracketLayout | null> {
    return (await this.resolve(study))?.layout ?? null;
  }

  /** The bracket a trial (or trial number) belongs to in this study, or null while the layout is unknown. */
  async bracketOf(study: StudyView, trial: FrozenTrial | number): Promise<number | null> {
    const layout = await this.layout(study);
    if (layout === null) return null;
    return bracketIndex(layout, study.studyName, typeof trial === 'number' ? trial : trial.number);
  }

  /** The study as seen from one bracket: `getTrials()` returns only that bracket's trials. */
  async bracketView(study: StudyView, bracket: number): Promise<StudyView> {
    const layout = await this.layout(study);
    if (layout === null) return study;
    integer('bracket', bracket, 0, layout.nBrackets - 1);
    return bracketStudy(study, layout, bracket);
  }

  async prune(study: StudyView, trial: FrozenTrial): Promise<boolean> {
    assertRunning('HyperbandPruner', trial);
    singleDirection('HyperbandPruner', study);
    const resolved = await this.resolve(study);
    if (resolved === null) return false;
    const bracket = bracketIndex(resolved.layout, study.studyName, trial.number);
    return resolved.pruners[bracket]!.prune(bracketStudy(study, resolved.layout, bracket), trial);
  }

  private async resolve(study: StudyView): Promise<{ layout: BracketLayout; pruners: SuccessiveHalvingPruner[] } | null> {
    const max =
      this.maxResource === 'auto'
        ? await autoMaxResource.get(study, async () => estimateMaxResource(await study.getTrials({ states: [TrialState.COMPLETE] })))
        : this.maxResource;
    if (max === null) return null;
    let entry = this.layouts.get(max);
    if (entry === undefined) {
      const layout = bracketLayout(this.minResource, max, this.reductionFactor);
      const pruners = layout.budgets.map(
        (_, b) =>
          new SuccessiveHalvingPruner({
            minResource: this.minResource,
            reductionFactor: this.reductionFactor,
            minEarlyStoppingRate: b,
            bootstrapCount: this.bootstrapCount,
          }),
      );
      this.layouts.set(max, (entry = { layout, pruners }));
    }
    return entry;
  }
}

/** The largest step reported by a COMPLETE trial + 1 (steps count from 0), or null without one. */
export function estimateMaxResource(completed: readonly FrozenTrial[]): number | null {
  let max = -1;
  for (const t of completed) {
    const s = lastStep(t);
    if (s !== null && s > max) max = s;
  }
  return max < 0 ? null : max + 1;
}

/** Hyperband's brackets for r = minResource, R = maxResource, η = reductionFactor. */
export function bracketLayout(minResource: number, maxResource: number, reductionFactor: number): BracketLayout {
  // ⌊log_η(R/r)⌋ + 1 by repeated multiplication: Math.log ratios are off by one ulp at exact powers
  // (log(243)/log(3) = 4.999…), which would drop a bracket.
  let nBrackets = 0;
  for (let end = minResource; end <= maxResource; end *= reductionFactor) nBrackets++;
  nBrackets = Math.max(nBrackets, 1);
  const budgets: number[] = [];
  for (let b = 0; b < nBrackets; b++) {
    const s = nBrackets - 1 - b;
    budgets.push(Math.ceil((nBrackets * reductionFactor ** s) / (s + 1)));
  }
  return { maxResource, nBrackets, budgets, totalBudget: budgets.reduce((a, b) => a + b, 0) };
}

/**
 * The bracket of trial `number`: CRC-32 of "<studyName>_<number>" modulo the total budget, mapped
 * through the cumulative budgets. The same hash as Optuna's, so both agree for the same layout.
 */
export function bracketIndex(layout: BracketLayout, studyName: string, number: number): number {
  let n = crc32(`${studyName}_${number}`) % layout.totalBudget;
  for (let b = 0; b < layout.nBrackets; b++) {
    n -= layout.budgets[b]!;
    if (n < 0) return b;
  }
  return layout.nBrackets - 1; // unreachable: n < totalBudget
}

function bracketStudy(study: StudyView, layout: BracketLayout, bracket: number): StudyView {
  return {
    studyId: study.studyId,
    studyName: study.studyName,
    directions: study.directions,
    storage: study.storage,
    async getTrials(opts?: { states?: readonly TrialState[] }): Promise<FrozenTrial[]> {
      const all = await study.getTrials(opts);
      return all.filter((t) => bracketIndex(layout, study.studyName, t.number) === bracket);
    },
    stop: () => study.stop(),
  };
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE, as zlib and Python's binascii) of a string's UTF-8 bytes. */
export function crc32(text: string): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
