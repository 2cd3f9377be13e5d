/**
 * Hyperparameter importance by fANOVA on a random forest, as Optuna's default evaluator
 * (`FanovaImportanceEvaluator`) computes it. Browser-safe: no Node or DOM imports.
 */
import { distributionsEqual, isSingle, type Distribution } from '../distributions/index.js';
import { InvalidArgumentError } from '../errors.js';
import type { StudyJSON, TrialJSON } from '../trial/json.js';
import { describe, integer, invalid, options } from '../validate.js';
import { fanovaImportances } from './fanova.js';
import { fitForest, SeededRandom } from './forest.js';

export interface ImportanceResult {
  readonly method: 'fanova';
  /** The trials the forest was fitted to (all complete ones, or a subsample: see `fitLimit`). */
  readonly nTrials: number;
  /** Sorted by importance, descending; the importances sum to 1 (the list is empty without parameters). */
  readonly importances: { name: string; importance: number }[];
}

export interface ImportanceOptions {
  /** Which objective's values to explain (default 0). */
  readonly objective?: number;
  /**
   * Parameters to assess (default: those in every complete trial with one distribution). When given,
   * only the complete trials holding all of them are used, as in Optuna.
   */
  readonly params?: readonly string[];
  /** Seeds the forest's bootstrap and tie-breaking (default 0: the same study gives the same answer). */
  readonly seed?: number;
}

/** Optuna's forest: `FanovaImportanceEvaluator` defaults on scikit-learn's RandomForestRegressor. */
export const FOREST = Object.freeze({ nTrees: 64, maxDepth: 64, minSamplesSplit: 2, minSamplesLeaf: 1 });

/**
 * The forest is fitted to a seeded subsample of at most `fitLimit(columns)` complete trials: at most
 * MAX_FIT_TRIALS, and fewer when the encoded columns (one per numeric parameter, one per categorical
 * choice) are many, since fitting costs about trials × columns × tree depth. NOTE: measured with 6
 * float parameters on a 2-core machine (src/importance/README.md): uncapped, 1,000 trials take 0.1 s,
 * 10,000 take 1.1 s and 50,000 take 7 s; capped, 50,000 trials take 0.6 s (1.3 s with the machine
 * loaded) and the importances move by less than 0.005. Optuna's own fANOVA already needs over a
 * minute at 1,000 trials (its documentation), so the cap sits far above where the two are compared.
 */
export const MAX_FIT_TRIALS = 5_000;
/** Trials × encoded columns fitted at most: 12 columns (numeric params and categorical choices) fit the full MAX_FIT_TRIALS. */
export const MAX_FIT_VALUES = 60_000;
/** Never fewer than this many trials for the cap's sake, however many columns. */
export const MIN_FIT_TRIALS = 2_000;

/** How many trials are fitted at most for `columns` encoded columns. */
export function fitLimit(columns: number): number {
  return Math.max(MIN_FIT_TRIALS, Math.min(MAX_FIT_TRIALS, Math.floor(MAX_FIT_VALUES / columns)));
}

const OPTION_NAMES = ['objective', 'params', 'seed'];

export function paramImportances(study: StudyJSON, opts?: ImportanceOptions): ImportanceResult {
  const o = options<ImportanceOptions>('opts', opts, OPTION_NAMES);
  const nObjectives = study.directions.length;
  const objective = o.objective === undefined ? 0 : integer('objective', o.objective, 0, nObjectives - 1);
  const seed = o.seed === undefined ? 0 : integer('seed', o.seed);

  const complete = study.trials.filter(
    (t) => t.state === 'COMPLETE' && t.values !== null && Number.isFinite(t.values[objective]),
  );
  if (complete.length === 0) {
    throw new InvalidArgumentError(
      `Expected a study with at least one complete trial for \`study\` but received ${describe(study.name)} with ` +
        `${study.trials.length} trial${study.trials.length === 1 ? '' : 's'} and none complete`,
    );
  }
  const { names, distributions, trials } =
    o.params === undefined ? intersectionSpace(complete) : requestedSpace(complete, o.params);

  // A parameter with one possible value cannot explain anything (Optuna leaves it out of the fit too).
  const varying = names.filter((n) => !isSingle(distributions[n]!));
  if (varying.length <= 1) {
    return {
      method: 'fanova',
      nTrials: trials.length,
      importances: varying.map((name) => ({ name, importance: 1 })),
    };
  }

  const columns = varying.reduce((a, name) => {
    const dist = distributions[name]!;
    return a + (dist.type === 'categorical' ? dist.choices.length : 1);
  }, 0);
  const limit = fitLimit(columns);
  const fitted = trials.length > limit ? subsample(trials, limit, seed) : trials;
  const { X, bounds, groups, d } = encode(fitted, varying, distributions);
  const n = fitted.length;
  const y = new Float64Array(n);
  fitted.forEach((t, i) => (y[i] = t.values![objective]!));
  const trees = fitForest(X, y, n, d, { ...FOREST, seed });
  const raw = fanovaImportances(trees, bounds, groups);

  let total = 0;
  for (const v of raw) total += v;
  // A constant objective (or a single trial) leaves nothing to attribute: equal shares, not NaN.
  const share = (i: number): number => (total > 0 ? raw[i]! / total : 1 / varying.length);
  const importances = varying.map((name, i) => ({ name, importance: share(i) }));
  importances.sort((a, b) => b.importance - a.importance);
  return { method: 'fanova', nTrials: n, importances };
}

interface Space {
  /** Sorted by name, as Optuna orders the columns. */
  readonly names: string[];
  readonly distributions: Record<string, Distribution>;
  readonly trials: readonly TrialJSON[];
}

/** The parameters present in every complete trial with the same distribution (Optuna's intersection). */
function intersectionSpace(complete: readonly TrialJSON[]): Space {
  const distributions: Record<string, Distribution> = { ...complete[0]!.distributions };
  for (const t of complete) {
    for (const name of Object.keys(distributions)) {
      const d = t.distributions[name];
      if (d === undefined || !distributionsEqual(d, distributions[name]!)) delete distributions[name];
    }
  }
  return { names: Object.keys(distributions).sort(), distributions, trials: complete };
}

/** The named parameters, over the complete trials that hold all of them. */
function requestedSpace(complete: readonly TrialJSON[], params: unknown): Space {
  if (!Array.isArray(params)) throw invalid('params', 'an array of parameter names', params);
  const known = new Set<string>();
  for (const t of complete) for (const name of Object.keys(t.distributions)) known.add(name);
  const seen = new Set<string>();
  params.forEach((p: unknown, i) => {
    if (typeof p !== 'string') throw invalid(`params[${i}]`, 'a parameter name', p);
    if (!known.has(p)) {
      const list = [...known].sort();
      const shown = list.length > 20 ? `${JSON.stringify(list.slice(0, 20)).slice(0, -1)},...]` : JSON.stringify(list);
      throw invalid(`params[${i}]`, `the name of a parameter of a complete trial (one of ${shown})`, p);
    }
    if (seen.has(p)) throw new InvalidArgumentError(`Expected distinct names in \`params\` but ${JSON.stringify(p)} appears twice`);
    seen.add(p);
  });
  const names = [...seen].sort();
  const trials = complete.filter((t) => names.every((n) => t.distributions[n] !== undefined));
  if (trials.length === 0) {
    throw invalid('params', 'parameters that occur together in at least one complete trial', JSON.stringify(names));
  }
  const distributions: Record<string, Distribution> = {};
  for (const name of names) {
    const first = trials[0]!.distributions[name]!;
    const other = trials.find((t) => !distributionsEqual(t.distributions[name]!, first));
    if (other !== undefined) {
      throw new InvalidArgumentError(
        `Expected one distribution for \`params\` entry ${JSON.stringify(name)} in every complete trial but received ` +
          `${JSON.stringify(first)} in trial ${trials[0]!.number} and ${JSON.stringify(other.distributions[name])} in trial ${other.number}`,
      );
    }
    distributions[name] = first;
  }
  return { names, distributions, trials };
}

/** `k` of the trials, chosen by a seeded partial shuffle, kept in their original order. */
function subsample(trials: readonly TrialJSON[], k: number, seed: number): TrialJSON[] {
  // A generator apart from the forest's (seed mixed with a constant) so that the subsample and the
  // bootstrap do not share draws.
  const rng = new SeededRandom(seed ^ 0x5bd1e995);
  const idx = Array.from({ length: trials.length }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(idx.length - i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx
    .slice(0, k)
    .sort((a, b) => a - b)
    .map((i) => trials[i]!);
}

/**
 * Optuna's encoding for importance (`_SearchSpaceTransform(transform_log=False, transform_step=False)`):
 * floats and ints as they are, log-scaled ones included, bounds [low, high]; a categorical becomes one
 * column per choice (one-hot, bounds [0, 1]) and its importance is that of the group of its columns.
 * X is (n, d) row-major; bounds is (d, 2) row-major.
 */
function encode(
  trials: readonly TrialJSON[],
  names: readonly string[],
  distributions: Readonly<Record<string, Distribution>>,
): { X: Float64Array; bounds: Float64Array; groups: number[][]; d: number } {
  const groups: number[][] = [];
  const boundList: number[] = [];
  for (const name of names) {
    const dist = distributions[name]!;
    const start = boundList.length / 2;
    if (dist.type === 'categorical') {
      for (let k = 0; k < dist.choices.length; k++) boundList.push(0, 1);
      groups.push(Array.from({ length: dist.choices.length }, (_, k) => start + k));
    } else {
      boundList.push(dist.low, dist.high);
      groups.push([start]);
    }
  }
  const d = boundList.length / 2;
  const X = new Float64Array(trials.length * d);
  trials.forEach((t, i) => {
    names.forEach((name, p) => {
      const col = groups[p]![0]!;
      const v = t.internalParams[name]!;
      if (distributions[name]!.type === 'categorical') X[i * d + col + v] = 1;
      else X[i * d + col] = v;
    });
  });
  return { X, bounds: Float64Array.from(boundList), groups, d };
}
