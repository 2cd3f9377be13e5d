/**
 * The target column: which task it poses and the numeric vector the learners fit. Classes are coded
 * 0..k-1 in sorted label order (numbers numerically, labels as strings) so that a saved model maps its
 * outputs back to the user's labels.
 */
import { InvalidArgumentError } from '../errors.js';
import { describe, oneOf } from '../validate.js';
import { column } from './data.js';
import type { Column, Table, Task } from './types.js';

export const TASKS: readonly Task[] = ['binary', 'multiclass', 'regression'];

/** A numeric target with at most this many distinct integers (and enough rows per class) is a class label. */
export const MAX_INTEGER_CLASSES = 20;
/** ... provided there are at least this many rows per distinct value on average. */
export const MIN_ROWS_PER_CLASS = 10;

export interface Target {
  readonly name: string;
  readonly task: Task;
  /** (nKept) class indices 0..k-1, or the regression values. */
  readonly y: Float64Array;
  /** (nKept) the table rows the target was present in (missing-target rows are dropped). */
  readonly rows: Int32Array;
  /** Rows dropped because their target was missing. */
  readonly dropped: number;
  /** Class i's label (k entries); empty for regression. */
  readonly classes: readonly (string | number)[];
}

/** The task the column poses: labels or few distinct integers (n >= 10k) are classes, else regression. */
export function inferTask(col: Column): Task {
  const present = presentValues(col);
  if (col.kind === 'categorical') return distinct(present).length === 2 ? 'binary' : 'multiclass';
  const nums = present as number[];
  const k = distinct(nums).length;
  const integers = nums.every((v) => Number.isInteger(v));
  if (integers && k <= MAX_INTEGER_CLASSES && nums.length >= MIN_ROWS_PER_CLASS * k) return k === 2 ? 'binary' : 'multiclass';
  return 'regression';
}

/**
 * Extracts the target `name` from `table`: drops rows where it is missing, infers the task (or checks
 * `task` against the column) and codes the classes. A constant target or a single class is refused:
 * there is nothing to learn.
 */
export function prepareTarget(table: Table, name: string, task?: Task): Target {
  const col = column(table, name, 'target column');
  const rows: number[] = [];
  for (let i = 0; i < table.nRows; i++) if (!isMissing(col, i)) rows.push(i);
  if (rows.length === 0) throw new InvalidArgumentError(`The target column ${JSON.stringify(name)} has no values: every row is missing`);
  const present = presentValues(col);
  const levels = distinct(present);
  if (levels.length === 1) {
    throw new InvalidArgumentError(`The target column ${JSON.stringify(name)} is constant (every present value is ${describe(levels[0])}): there is nothing to learn`);
  }
  const chosen = task === undefined ? inferTask(col) : oneOf('task', task, TASKS);
  const dropped = table.nRows - rows.length;
  const kept = Int32Array.from(rows);
  if (chosen === 'regression') {
    if (col.kind === 'categorical') {
      throw new InvalidArgumentError(`The target column ${JSON.stringify(name)} holds labels (e.g. ${describe(levels[0])}); task "regression" needs numbers`);
    }
    return { name, task: chosen, y: Float64Array.from(rows, (i) => col.values[i]!), rows: kept, dropped, classes: [] };
  }
  if (chosen === 'binary' && levels.length !== 2) {
    throw new InvalidArgumentError(`Task "binary" needs exactly 2 classes but the target column ${JSON.stringify(name)} has ${levels.length}`);
  }
  if (chosen === 'multiclass' && levels.length < 3) {
    throw new InvalidArgumentError(`Task "multiclass" needs at least 3 classes but the target column ${JSON.stringify(name)} has ${levels.length}; use "binary"`);
  }
  const index = new Map<string | number, number>(levels.map((l, c) => [l, c]));
  const y = Float64Array.from(rows, (i) => index.get(col.values[i]!)!);
  return { name, task: chosen, y, rows: kept, dropped, classes: levels };
}

function isMissing(col: Column, i: number): boolean {
  return col.kind === 'numeric' ? Number.isNaN(col.values[i]!) : col.values[i] === null;
}

function presentValues(col: Column): (string | number)[] {
  const out: (string | number)[] = [];
  if (col.kind === 'numeric') {
    for (const v of col.values) if (!Number.isNaN(v)) out.push(v);
  } else {
    for (const v of col.values) if (v !== null) out.push(v);
  }
  return out;
}

/** Sorted distinct values: numbers numerically, labels by code unit (stable across locales). */
function distinct<T extends string | number>(values: readonly T[]): T[] {
  return [...new Set(values)].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
}
