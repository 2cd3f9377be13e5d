/**
 * The fitted AutoML pipeline: one or more members (a fitted preprocessor and a fitted model each) whose
 * predictions are averaged with ensemble weights, and the metadata needed to read new data and answer
 * in the user's labels. Saved as a directory: `pipeline.json` (metadata, preprocessing, weights) and one
 * `model-<i>.json` per member (the learner's own `toJSON()`).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, IOError } from '../errors.js';
import { ioReason } from '../util/io-reason.js';
import { invalid } from '../validate.js';
import { readTable } from './data.js';
import { blend } from './ensemble.js';
import { predictedClass, type MetricName } from './metrics.js';
import { loadPreprocessor, type Preprocessor } from './preprocess.js';
import type { PipelineSpec } from './space.js';
import type { FittedModel, Learner, Table, Task } from './types.js';

export const PIPELINE_FILE = 'pipeline.json';
const FORMAT = 'tunable.automl';
const VERSION = 1;

export interface Member {
  readonly spec: PipelineSpec;
  /** The study trial the member came from. */
  readonly trial: number;
  readonly weight: number;
  readonly preprocessor: Preprocessor;
  readonly model: FittedModel;
}

export interface PipelineMeta {
  readonly target: string;
  readonly task: Task;
  /** Class i's label (k entries); empty for regression. */
  readonly classes: readonly (string | number)[];
  readonly metric: MetricName;
  /** The feature columns the pipeline reads, with the kind they had when it was fitted. */
  readonly columns: readonly { readonly name: string; readonly kind: 'numeric' | 'categorical' }[];
  /** The metric on the development rows' cross-validation and on the held-out test rows (null: none). */
  readonly cvScore: number;
  readonly testScore: number | null;
  readonly study: { readonly name: string; readonly storage: string };
}

/** Predictions for a table: labels (or values) per row, and the class probabilities for classification. */
export interface Predictions {
  /** (n) the predicted label (classification) or value (regression). */
  readonly values: readonly (string | number)[];
  /** (n, k) row-major P(class c), classes in `classes` order; null for regression. */
  readonly probabilities: Float64Array | null;
  readonly classes: readonly (string | number)[];
}

export class FittedPipeline {
  constructor(
    readonly meta: PipelineMeta,
    readonly members: readonly Member[],
  ) {}

  /** Raw predictions in the FittedModel layout: (n) values or P(class 1), or (n, k) probabilities. */
  async predictRaw(table: Table): Promise<Float64Array> {
    const have = new Set(table.columns.map((c) => c.name));
    const missing = this.meta.columns.filter((c) => !have.has(c.name)).map((c) => JSON.stringify(c.name));
    if (missing.length > 0) {
      throw new InvalidArgumentError(`The data lack column${missing.length === 1 ? '' : 's'} ${missing.join(', ')} that the model reads; its columns are ${this.meta.columns.map((c) => JSON.stringify(c.name)).join(', ')}`);
    }
    const preds = await Promise.all(this.members.map(async (m) => m.model.predict(m.preprocessor.transform(table))));
    return blend(preds, this.members.map((m) => m.weight));
  }

  /** Predicts rows given as a table, row objects or a CSV/JSON file path. */
  async predict(data: string | readonly Record<string, unknown>[] | Table): Promise<Predictions> {
    const table = isTable(data) ? data : await readTable(data);
    const raw = await this.predictRaw(table);
    const { task, classes } = this.meta;
    if (task === 'regression') return { values: Array.from(raw), probabilities: null, classes };
    const k = classes.length;
    const probabilities = task === 'binary' ? Float64Array.from({ length: raw.length * 2 }, (_, j) => (j % 2 === 1 ? raw[j >> 1]! : 1 - raw[j >> 1]!)) : raw;
    const values = Array.from({ length: table.nRows }, (_, i) => classes[predictedClass(raw, i, k)]!);
    return { values, probabilities, classes };
  }

  /** Writes the pipeline to `dir` (created if needed); each file whole or not at all. */
  save(dir: string): void {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new IOError(`Cannot create the directory ${JSON.stringify(dir)}: ${ioReason(err)}`);
    }
    this.members.forEach((m, i) => writeJson(join(dir, `model-${i}.json`), m.model.toJSON()));
    writeJson(join(dir, PIPELINE_FILE), {
      format: FORMAT,
      version: VERSION,
      ...this.meta,
      members: this.members.map((m, i) => ({ learner: m.spec.learner, spec: m.spec, trial: m.trial, weight: m.weight, preprocessor: m.preprocessor.toJSON(), model: `model-${i}.json` })),
    });
  }
}

function isTable(v: unknown): v is Table {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && 'columns' in v && 'nRows' in v;
}

function writeJson(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, JSON.stringify(value));
    renameSync(tmp, path);
  } catch (err) {
    throw new IOError(`Cannot write ${JSON.stringify(path)}: ${ioReason(err)}`);
  }
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new IOError(`Cannot read ${JSON.stringify(path)}: ${ioReason(err)} (is it a directory written by \`tunable automl --save\`?)`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

interface SavedMember {
  learner: string;
  spec: PipelineSpec;
  trial: number;
  weight: number;
  preprocessor: unknown;
  model: string;
}

/** Reads a pipeline saved by `save(dir)`; `learners` rebuild the models by name. */
export async function loadPipeline(dir: string, learners: readonly Learner[]): Promise<FittedPipeline> {
  const j = readJson(join(dir, PIPELINE_FILE)) as Partial<PipelineMeta & { format: string; version: number; members: SavedMember[] }> | null;
  if (j === null || typeof j !== 'object' || j.format !== FORMAT) throw invalid(join(dir, PIPELINE_FILE), `a saved AutoML pipeline (format ${JSON.stringify(FORMAT)})`, j);
  if (j.version !== VERSION) throw invalid(`${join(dir, PIPELINE_FILE)} version`, `version ${VERSION}`, j.version);
  if (!Array.isArray(j.members) || j.members.length === 0) throw invalid(`${join(dir, PIPELINE_FILE)} members`, 'a non-empty array', j.members);
  const members = await Promise.all(
    j.members.map(async (m): Promise<Member> => {
      const learner = learners.find((l) => l.name === m.learner);
      if (learner === undefined) throw invalid(`${join(dir, PIPELINE_FILE)} learner`, `one of ${learners.map((l) => JSON.stringify(l.name)).join(', ')}`, m.learner);
      const model = await learner.load(readJson(join(dir, m.model)));
      return { spec: m.spec, trial: m.trial, weight: m.weight, preprocessor: loadPreprocessor(m.preprocessor), model };
    }),
  );
  const meta: PipelineMeta = {
    target: j.target!,
    task: j.task!,
    classes: j.classes!,
    metric: j.metric!,
    columns: j.columns!,
    cvScore: j.cvScore!,
    testScore: j.testScore ?? null,
    study: j.study!,
  };
  return new FittedPipeline(meta, members);
}
