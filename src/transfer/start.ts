/**
 * Starting a study from its sources: its first trials evaluate the sources' best configurations.
 *
 * Those trials carry SOFT fixed parameters (`fixedParamsSoft: true` beside `fixedParams`): a source
 * value the target's distribution does not contain (another range, a choice it lacks) is sampled as
 * usual instead of failing the trial, and a parameter the source lacks is sampled too. Two ways in:
 * - `enqueueFromSources(study, sources)`: WAITING trials, for any sampler;
 * - a sampler's `reserveTrial` calls `claimStartTrial`: start configuration i goes to exactly one trial
 *   across every worker sharing the storage (the study system attribute `transfer:start:<i>` is
 *   claimed with setStudySystemAttrIfAbsent), so parallel workers never evaluate the same one twice.
 */
import type { ParamValue } from '../distributions/index.js';
import type { StudyView } from '../samplers/base.js';
import { TrialState, type FrozenTrial } from '../trial/index.js';
import { get } from '../util/dict.js';
import { integer, options } from '../validate.js';
import { loadSources, sameConfiguration, startConfigurations, type StartConfiguration } from './source.js';

/** Study system attribute claimed by the trial that evaluates start configuration i: prefix + i. */
export const START_ATTR_PREFIX = 'transfer:start:';
/** Trial system attribute naming the source a start configuration comes from. */
export const SOURCE_ATTR = 'transfer:source';
/** Configurations `enqueueFromSources` enqueues when `n` is not given. */
const DEFAULT_ENQUEUE = 5;

export interface EnqueueFromSourcesOptions {
  /** How many configurations (an integer >= 0; default 5). */
  readonly n?: number;
}

/** The system attributes of a trial whose parameters are softly fixed to `params`. */
export function softFixedAttrs(params: Readonly<Record<string, ParamValue>>, source: string): Record<string, unknown> {
  return { fixedParams: { ...params }, fixedParamsSoft: true, [SOURCE_ATTR]: source };
}

/**
 * The configurations the target has tried or is about to: the parameters of its trials (FAIL ones
 * included: a configuration that failed is not worth repeating first) and the fixed parameters of its
 * WAITING trials.
 */
export function triedConfigurations(trials: readonly FrozenTrial[]): Readonly<Record<string, unknown>>[] {
  const out: Readonly<Record<string, unknown>>[] = [];
  for (const t of trials) {
    if (t.state === TrialState.WAITING) {
      const fixed = get(t.systemAttrs, 'fixedParams');
      if (fixed !== null && typeof fixed === 'object' && !Array.isArray(fixed)) out.push(fixed as Record<string, unknown>);
    } else if (Object.keys(t.params).length > 0) out.push(t.params);
  }
  return out;
}

/**
 * Enqueues the best `n` distinct source configurations (round-robin across sources, see
 * `bestConfigurations`) into `study` as soft enqueued trials, skipping those it has already tried or
 * has waiting. Returns how many were enqueued.
 */
export async function enqueueFromSources(study: StudyView, sources: unknown, opts?: EnqueueFromSourcesOptions): Promise<number> {
  const o = options<EnqueueFromSourcesOptions>('enqueueFromSources options', opts, ['n']);
  const n = o.n === undefined ? DEFAULT_ENQUEUE : integer('n', o.n, 0);
  const loaded = await loadSources(sources, 'sources');
  const exclude = triedConfigurations(await study.getTrials()) as Readonly<Record<string, ParamValue>>[];
  const configs = startConfigurations(loaded, n, exclude);
  for (const c of configs) {
    await study.storage.createTrial(study.studyId, { state: TrialState.WAITING, systemAttrs: softFixedAttrs(c.params, c.source) });
  }
  return configs.length;
}

/**
 * For a sampler's `reserveTrial`: claims the first start configuration no trial has claimed yet and
 * returns the new trial's system attributes (see `softFixedAttrs`), or null when every one is taken.
 * `configs` must be the same list, in the same order, in every worker (computed from the sources
 * alone, not from the target's history, which differs between workers). A claimed configuration the
 * target already tried or has waiting (a resumed study, a user's enqueued trial), or one `skip`
 * refuses (a source found to share nothing with the target), is passed over.
 */
export async function claimStartTrial(
  study: StudyView,
  configs: readonly StartConfiguration[],
  skip?: (config: StartConfiguration) => boolean,
): Promise<Record<string, unknown> | null> {
  if (configs.length === 0) return null;
  const claimed = await study.storage.getStudySystemAttrs(study.studyId);
  let tried: Readonly<Record<string, unknown>>[] | null = null;
  for (let i = 0; i < configs.length; i++) {
    const key = START_ATTR_PREFIX + i;
    if (get(claimed, key) !== undefined) continue;
    const c = configs[i]!;
    if (!(await study.storage.setStudySystemAttrIfAbsent(study.studyId, key, { source: c.source, params: c.params }))) continue;
    tried ??= triedConfigurations(await study.getTrials());
    if (skip?.(c) === true || tried.some((p) => sameConfiguration(c.params, p))) continue;
    return softFixedAttrs(c.params, c.source);
  }
  return null;
}
