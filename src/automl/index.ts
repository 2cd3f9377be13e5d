/**
 * `tunable/automl`: from a table and a target column to a fitted, saved pipeline. Reads the data,
 * sets the test rows aside, searches preprocessing × learner × hyperparameters on a study (run.ts),
 * builds the leaderboard, tries an ensemble of the best pipelines, refits the winner on every
 * development row and scores it once on the test rows.
 */
import { basename } from 'node:path';
import { BackendUnavailableError, InvalidArgumentError, NotFoundError } from '../errors.js';
import { warnOnce } from '../util/warn.js';
import { HyperbandPruner } from '../pruners/index.js';
import { TPESampler } from '../samplers/index.js';
import { createStorage, type Storage } from '../storage/index.js';
import { createStudy, loadStudy, type Study } from '../study/study.js';
import type { StudyDirection } from '../trial/index.js';
import { describe, integer, invalid, oneOf, options, positiveNumber, string } from '../validate.js';
import { readTable } from './data.js';
import { selectEnsemble } from './ensemble.js';
import { gbdtLearner } from './learners/gbdt.js';
import { LEARNERS as BASE_LEARNERS } from './learners/index.js';
import { better, defaultMetric, METRIC_NAMES, METRICS, metricFor, type MetricName } from './metrics.js';
import { fitPreprocessor } from './preprocess.js';
import type { ProgressEvent } from './progress.js';
import { buildLeaderboard, learningCurve, type CurvePoint, type LeaderboardRow } from './report.js';
import { predictionWidth, search, takeRows, validRows, type SearchContext, type TrialRecord } from './run.js';
import { FittedPipeline, loadPipeline, type Member, type Predictions } from './save.js';
import { defaultTrials, FIDELITY_STEPS, type DataShape, type PipelineSpec } from './space.js';
import { planSplits } from './split.js';
import { prepareTarget, type Target } from './target.js';
import type { Learner, Table, Task } from './types.js';

export { formatProgress, type ProgressEvent } from './progress.js';
export { renderReport, type ReportFormat } from './report.js';
export type { LeaderboardRow, CurvePoint } from './report.js';
export type { Predictions, PipelineMeta } from './save.js';
export { FittedPipeline } from './save.js';
export type { PipelineSpec } from './space.js';
export type { Learner, FittedModel, Matrix, Table, Task } from './types.js';
export { METRIC_NAMES, type MetricName } from './metrics.js';

/** Every learner the search can choose, by name. */
export const LEARNERS: readonly Learner[] = [gbdtLearner, ...BASE_LEARNERS];

export const TASK_OPTIONS = ['classification', 'regression', 'binary', 'multiclass'] as const;
export type TaskOption = (typeof TASK_OPTIONS)[number];

/** Seconds of search when `timeBudget` is not given. */
export const DEFAULT_TIME_BUDGET = 300;

export interface AutomlOptions {
  /** A CSV or JSON file, or rows in memory. */
  readonly data: string | readonly Record<string, unknown>[];
  /** The column to predict. */
  readonly target: string;
  /** Inferred from the target when absent ('classification' picks binary or multiclass by the classes). */
  readonly task?: TaskOption;
  /** Default: log_loss for classification, rmse for regression (metrics.ts says why). */
  readonly metric?: MetricName;
  /** Seconds for the search and the final refit, default 300; overrun by about one fit at most (docs/automl.md). */
  readonly timeBudget?: number;
  readonly seed?: number;
  /** Where the study lives: `memory:` (default), `sqlite:./tunable.db`, a PostgreSQL URL or a Storage. */
  readonly storage?: string | Storage;
  /** Default `automl-<data file name>-<target>`: the same data and target resume the same study. */
  readonly studyName?: string;
  /** A directory to save the fitted pipeline to. */
  readonly save?: string;
  /** Called after each trial. */
  readonly onProgress?: (e: ProgressEvent) => void;
  /** Restricts the learners searched (default: all of LEARNERS). */
  readonly learners?: readonly string[];
}

export interface AutomlResult {
  readonly target: string;
  readonly task: Task;
  readonly metric: MetricName;
  /** Class i's label; empty for regression. */
  readonly classes: readonly (string | number)[];
  /** Complete trials of the study, best first. */
  readonly leaderboard: readonly LeaderboardRow[];
  /** The best single pipeline by CV score. */
  readonly best: LeaderboardRow;
  /** The ensemble when it beat the best single pipeline on the out-of-fold rows, else null. */
  readonly ensemble: { readonly members: readonly { trial: number; learner: string; weight: number }[]; readonly cvScore: number; readonly bestSingleCvScore: number } | null;
  /** The delivered pipeline's score on the test rows, by every metric that applies (null without test rows). */
  readonly testScores: Readonly<Partial<Record<MetricName, number>>> | null;
  /** Best CV score so far against seconds since the study's first trial. */
  readonly curve: readonly CurvePoint[];
  readonly rows: { readonly dev: number; readonly test: number; readonly droppedTarget: number; readonly cv: 'kfold' | 'holdout'; readonly folds: number };
  /** Trials this run started, and how long the search took (seconds). */
  readonly trialsRun: number;
  readonly seconds: number;
  readonly pipeline: FittedPipeline;
  readonly study: Study;
  predict(data: string | readonly Record<string, unknown>[] | Table): Promise<Predictions>;
  save(dir: string): void;
}

const OPTION_NAMES = ['data', 'target', 'task', 'metric', 'timeBudget', 'seed', 'storage', 'studyName', 'save', 'onProgress', 'learners'];
/** Ensemble selection looks at this many of the best pipelines of the run, ... */
const ENSEMBLE_CANDIDATES = 20;
/**
 * ... and at the best few of every learner besides: a long search fills the top with near copies of
 * one model, whose average is no better than any of them, while another family's errors may cancel.
 */
const ENSEMBLE_PER_LEARNER = 3;

/** The candidates of ensemble selection, best first (`ranked` is best first). */
function ensembleCandidates(ranked: readonly TrialRecord[]): TrialRecord[] {
  const perLearner = new Map<string, number>();
  return ranked.filter((r, i) => {
    const n = perLearner.get(r.spec.learner) ?? 0;
    perLearner.set(r.spec.learner, n + 1);
    return i < ENSEMBLE_CANDIDATES || n < ENSEMBLE_PER_LEARNER;
  });
}

/** Reads a pipeline saved by `automl({ save })` or `result.save(dir)`. */
export async function loadAutoml(dir: string): Promise<FittedPipeline> {
  return loadPipeline(string('dir', dir), LEARNERS);
}

export async function automl(opts: AutomlOptions): Promise<AutomlResult> {
  const o = options<AutomlOptions>('automl options', opts, OPTION_NAMES);
  if (o.data === undefined) throw new InvalidArgumentError('Missing `data`: a CSV or JSON file, or an array of row objects');
  const targetName = string('target', o.target);
  const taskOption = o.task === undefined ? undefined : oneOf('task', o.task, TASK_OPTIONS);
  const timeBudget = o.timeBudget === undefined ? DEFAULT_TIME_BUDGET : positiveNumber('timeBudget', o.timeBudget);
  const seed = o.seed === undefined ? 0 : integer('seed', o.seed, 0);
  const learners = chooseLearners(o.learners);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw invalid('onProgress', 'a function', o.onProgress);
  const saveDir = o.save === undefined ? undefined : string('save', o.save);

  const table = await readTable(o.data);
  const target = resolveTarget(table, targetName, taskOption);
  const metric = metricFor(o.metric ?? defaultMetric(target.task), target.task).name;
  const usable = await availableLearners(learners.filter((l) => l.tasks.includes(target.task)), o.learners !== undefined);
  if (usable.length === 0) throw invalid('learners', `learners that handle ${target.task} tasks`, o.learners);
  const features = table.columns.map((c) => c.name).filter((n) => n !== targetName);
  if (features.length === 0) throw new InvalidArgumentError(`The table has no column besides the target ${JSON.stringify(targetName)}: nothing to predict from`);
  const rows = takeRows(table, target.rows); // rows aligned with target.y
  const plan = planSplits(target.y, target.task, { seed });
  const k = target.task === 'regression' ? 1 : target.classes.length;
  const ctx: SearchContext = { table: rows, features, y: target.y, task: target.task, k, metric, plan, learners: usable, shape: dataShape(rows, features, plan.dev), seed };

  const studyName = o.studyName === undefined ? defaultStudyName(o.data, targetName) : string('studyName', o.studyName);
  const direction = METRICS[metric].direction;
  const storage = createStorage(o.storage ?? 'memory:');
  try {
    const study = await openStudy(storage, studyName, direction, seed);
    await checkResumable(study, { target: targetName, task: target.task, metric });
    if (study.trials.length === 0) {
      for (const params of defaultTrials(usable, target.task)) await study.enqueueTrial(params, { skipInvalid: true });
    }

    const start = performance.now() / 1000;
    const before = study.trials.length;
    const outcome = await search(study, ctx, { start, deadline: start + timeBudget, ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }) });
    const seconds = performance.now() / 1000 - start;
    await study.refresh();
    const leaderboard = buildLeaderboard(study.trials, direction);
    const best = leaderboard[0];
    if (best === undefined) {
      if (outcome.firstFit !== null && outcome.records.length === 0 && outcome.firstFailure === null) {
        throw new InvalidArgumentError(
          `Expected a \`timeBudget\` long enough to cross-validate one pipeline but received ${timeBudget} s: one fit (${outcome.firstFit.learner}, one fold of ${plan.folds.length}) took ` +
            `${outcome.firstFit.seconds.toFixed(2)} s, and a pipeline needs ${plan.folds.length} or more; pass at least ${Math.ceil(outcome.firstFit.seconds * plan.folds.length * 2)} s`,
        );
      }
      if (outcome.firstFailure !== null) throw new InvalidArgumentError(`Every pipeline failed; the first: ${outcome.firstFailure}`);
      throw new InvalidArgumentError(`Expected a \`timeBudget\` long enough to fit one pipeline but received ${timeBudget} s: no fit finished`);
    }

    // Ensemble selection over this run's best pipelines, judged on the out-of-fold rows only.
    const ranked = [...outcome.records].sort((a, b) => (better(direction, a.score, b.score) ? -1 : better(direction, b.score, a.score) ? 1 : a.number - b.number));
    const candidates = ensembleCandidates(ranked);
    let chosen: { spec: PipelineSpec; trial: number; weight: number }[] = [{ spec: best.spec, trial: best.trial, weight: 1 }];
    let ensemble: AutomlResult['ensemble'] = null;
    if (candidates.length > 1 && candidates[0]!.number === best.trial) {
      const yValid = Float64Array.from(validRows(plan), (r) => target.y[r]!);
      const sel = selectEnsemble(candidates.map((c) => c.oof), yValid, target.task, metric, k);
      const single = METRICS[metric].compute(yValid, candidates[0]!.oof, target.task === 'regression' ? 1 : k);
      if (sel.members.length > 1 && better(direction, sel.score, single)) {
        chosen = sel.members.map((m) => ({ spec: candidates[m.index]!.spec, trial: candidates[m.index]!.number, weight: m.weight }));
        ensemble = { members: chosen.map((c) => ({ trial: c.trial, learner: c.spec.learner, weight: c.weight })), cvScore: sel.score, bestSingleCvScore: single };
      }
    }

    // Refit on every development row (the search kept time for this: see run.ts).
    const devRows = plan.dev;
    const yDev = Float64Array.from(devRows, (r) => target.y[r]!);
    const devTable = takeRows(rows, devRows);
    const members: Member[] = [];
    for (const c of chosen) members.push(await refit(c.spec, c.trial, c.weight, usable, devTable, features, yDev, target.task, k, seed));

    const meta = {
      target: targetName,
      task: target.task,
      classes: target.classes,
      metric,
      columns: features.map((name) => ({ name, kind: rows.columns.find((c) => c.name === name)!.kind })),
      cvScore: ensemble?.cvScore ?? best.score,
      testScore: null as number | null,
      study: { name: studyName, storage: study.storage.url },
    };
    let pipeline = new FittedPipeline(meta, members);
    let testScores: Partial<Record<MetricName, number>> | null = null;
    if (plan.test.length > 0) {
      const testTable = takeRows(rows, plan.test);
      const yTest = Float64Array.from(plan.test, (r) => target.y[r]!);
      const raw = await pipeline.predictRaw(testTable);
      testScores = scoreAll(target.task, yTest, raw, k);
      pipeline = new FittedPipeline({ ...meta, testScore: testScores[metric] ?? null }, members);
    }
    if (saveDir !== undefined) pipeline.save(saveDir);

    const final = pipeline;
    return {
      target: targetName,
      task: target.task,
      metric,
      classes: target.classes,
      leaderboard,
      best,
      ensemble,
      testScores,
      curve: learningCurve(study.trials, direction),
      rows: { dev: plan.dev.length, test: plan.test.length, droppedTarget: target.dropped, cv: plan.kind, folds: plan.folds.length },
      trialsRun: study.trials.length - before,
      seconds,
      pipeline: final,
      study,
      predict: (data) => final.predict(data),
      save: (dir) => final.save(string('dir', dir)),
    };
  } catch (err) {
    // A storage this call opened from a URL is closed again; one passed in stays its owner's.
    if (typeof o.storage !== 'object') await storage.close().catch(() => undefined);
    throw err;
  }
}

/**
 * The learners that can fit here. One the caller named and that cannot is an error saying why; one of
 * the default set is left out with a warning (an optional dependency such as tfjs is missing).
 */
async function availableLearners(learners: readonly Learner[], named: boolean): Promise<Learner[]> {
  const out: Learner[] = [];
  for (const l of learners) {
    const why = l.unavailable === undefined ? null : await l.unavailable();
    if (why === null) out.push(l);
    else if (named) throw new BackendUnavailableError(`The ${JSON.stringify(l.name)} learner cannot run here: ${why}`);
    else warnOnce('TUNABLE_AUTOML_LEARNER_UNAVAILABLE', `automl: the ${JSON.stringify(l.name)} learner is left out: ${why}`, `TUNABLE_AUTOML_LEARNER_UNAVAILABLE:${l.name}`);
  }
  return out;
}

function chooseLearners(names: readonly string[] | undefined): readonly Learner[] {
  if (names === undefined) return LEARNERS;
  if (!Array.isArray(names) || names.length === 0) throw invalid('learners', 'a non-empty array of learner names', names);
  const all = LEARNERS.map((l) => l.name);
  return names.map((n, i) => {
    oneOf(`learners[${i}]`, n, all);
    return LEARNERS.find((l) => l.name === n)!;
  });
}

/** The target with the task asked for; 'classification' picks binary or multiclass by the classes. */
function resolveTarget(table: Table, name: string, task: TaskOption | undefined): Target {
  if (task === undefined || task !== 'classification') return prepareTarget(table, name, task);
  const inferred = prepareTarget(table, name);
  if (inferred.task !== 'regression') return inferred;
  const k = new Set(inferred.y).size;
  return prepareTarget(table, name, k === 2 ? 'binary' : 'multiclass');
}

function defaultStudyName(data: AutomlOptions['data'], target: string): string {
  return typeof data === 'string' ? `automl-${basename(data)}-${target}` : `automl-rows-${target}`;
}

/**
 * The study `studyName` in `storage`, created when absent. An existing one is loaded first, so that a
 * different problem under its name is reported as such (checkResumable) rather than as a direction clash.
 */
async function openStudy(storage: Storage, studyName: string, direction: StudyDirection, seed: number): Promise<Study> {
  const sampler = new TPESampler({ seed, multivariate: true, group: true, warnIndependentSampling: false });
  const pruner = new HyperbandPruner({ minResource: 1, maxResource: FIDELITY_STEPS, reductionFactor: 3 });
  try {
    return await loadStudy({ studyName, storage, sampler, pruner });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  return createStudy({ studyName, storage, direction, sampler, pruner, loadIfExists: true });
}

/** A study resumed under the same name must pose the same problem: its CV scores are compared with the new ones. */
async function checkResumable(study: Study, problem: { target: string; task: Task; metric: MetricName }): Promise<void> {
  const attrs = await study.getUserAttrs();
  const stored = attrs['automl'] as typeof problem | undefined;
  if (stored === undefined) {
    await study.setUserAttr('automl', problem);
    return;
  }
  for (const key of ['target', 'task', 'metric'] as const) {
    if (stored[key] !== problem[key]) {
      throw new InvalidArgumentError(
        `Study ${JSON.stringify(study.studyName)} was run with ${key} ${describe(stored[key])}, not ${describe(problem[key])}: its scores are not comparable; pass another study name`,
      );
    }
  }
}

/** Whether there are label columns, and the encoded widths, from the development rows. */
function dataShape(table: Table, features: readonly string[], dev: Int32Array): DataShape {
  const hasCategorical = table.columns.some((c) => c.kind === 'categorical' && features.includes(c.name));
  const width = (encoding: 'onehot' | 'ordinal'): number => fitPreprocessor(table, features, { encoding, scaling: 'none' }, { rows: dev }).outputNames.length;
  return { hasCategorical, width: { onehot: width('onehot'), ordinal: hasCategorical ? width('ordinal') : width('onehot') } };
}

async function refit(
  spec: PipelineSpec,
  trial: number,
  weight: number,
  learners: readonly Learner[],
  table: Table,
  features: readonly string[],
  y: Float64Array,
  task: Task,
  k: number,
  seed: number,
): Promise<Member> {
  const learner = learners.find((l) => l.name === spec.learner);
  if (learner === undefined) throw new InvalidArgumentError(`The best trial (${trial}) used learner ${JSON.stringify(spec.learner)}, which this run does not search`);
  const preprocessor = fitPreprocessor(table, features, spec.preprocess, { y, task });
  const model = await learner.fit(preprocessor.transform(table), y, task, spec.config, { budget: 1, seed, ...(task === 'regression' ? {} : { nClasses: k }) });
  return { spec, trial, weight, preprocessor, model };
}

/** Every metric that applies to the task (one that is undefined on these rows, as AUC with one class, is left out). */
function scoreAll(task: Task, y: Float64Array, raw: Float64Array, k: number): Partial<Record<MetricName, number>> {
  const out: Partial<Record<MetricName, number>> = {};
  const kk = task === 'regression' ? 1 : k;
  if (raw.length !== y.length * predictionWidth(task, k)) throw new InvalidArgumentError(`Expected ${y.length} prediction rows but received ${raw.length}`);
  for (const name of METRIC_NAMES) {
    const m = METRICS[name];
    if (!m.tasks.includes(task)) continue;
    try {
      out[name] = m.compute(y, raw, kk);
    } catch {
      // undefined on these rows
    }
  }
  return out;
}
