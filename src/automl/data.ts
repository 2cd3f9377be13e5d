/**
 * Reading a table: a CSV file (see csv.ts), a JSON file of rows, or rows in memory (an array of
 * objects). Each column's kind is inferred from its values: numeric when every present value is a
 * number, categorical when values are labels (strings, booleans). Missing: '', 'NA', 'NaN', 'null',
 * '?' (and null/undefined in JSON). A column that is mostly numbers with a few labels is refused: it
 * is nearly always a typo or a sentinel ('n/a', '-') that would silently turn a numeric feature into
 * thousands of one-hot levels.
 */
import { readFile } from 'node:fs/promises';
import { IOError, InvalidArgumentError } from '../errors.js';
import { describe, invalid } from '../validate.js';
import { decodeUtf8, parseCsv } from './csv.js';
import type { Column, Table } from './types.js';

export type { Column, Table } from './types.js';

/** Cell texts read as missing values. */
export const MISSING_TOKENS: readonly string[] = ['', 'NA', 'NaN', 'null', '?'];

/**
 * A column whose present values are at least this share numbers, yet not all, is refused as mixed
 * (below it, the numbers are taken as labels among labels: sizes '8', '10', 'XL').
 */
export const MIXED_NUMERIC_SHARE = 0.8;

/** A decimal or scientific number, as CSV files write them (no hex, no '1_000', no 'Infinity'). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A cell before inference: its text (null = missing) and, for JSON input, whether it was a number. */
interface RawColumn {
  readonly name: string;
  readonly cells: readonly (string | number | null)[];
}

/**
 * Reads a table from a path (`.json`: an array of row objects; anything else: CSV) or from rows in
 * memory. Errors name the file, the column and the line or row.
 */
export async function readTable(source: string | readonly Record<string, unknown>[]): Promise<Table> {
  if (typeof source !== 'string') return tableFromRows(source);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(source);
  } catch (err) {
    throw new IOError(`Cannot read the data file ${JSON.stringify(source)}: ${(err as Error).message}`, { cause: err });
  }
  const text = decodeUtf8(bytes, source);
  if (/\.json$/i.test(source)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new InvalidArgumentError(`${source} is not valid JSON: ${(err as Error).message}`);
    }
    return tableFromRows(parsed, source);
  }
  return tableFromCsv(text, source);
}

/** A table from CSV text; `file` names the source in errors. */
export function tableFromCsv(text: string, file = 'the CSV text'): Table {
  const { header, rows, lines } = parseCsv(text, file);
  const seen = new Set<string>();
  header.forEach((name, j) => {
    if (name.trim() === '') throw new InvalidArgumentError(`${file}: column ${j + 1} of the header has no name`);
    if (seen.has(name)) throw new InvalidArgumentError(`${file}: the header names column ${JSON.stringify(name)} twice`);
    seen.add(name);
  });
  const raw: RawColumn[] = header.map((name, j) => ({ name, cells: rows.map((r) => r[j]!) }));
  return { columns: raw.map((c) => inferColumn(c, (i) => `line ${lines[i]}`, file)), nRows: rows.length };
}

/** A table from an array of row objects; the columns are the union of the rows' keys, in first-seen order. */
export function tableFromRows(rows: unknown, source = 'rows'): Table {
  if (!Array.isArray(rows)) throw invalid(source, 'an array of row objects', rows);
  if (rows.length === 0) throw new InvalidArgumentError(`${source} is empty: expected at least one row`);
  const names: string[] = [];
  const known = new Set<string>();
  rows.forEach((row, i) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw invalid(`${source}[${i}]`, 'a row object', row);
    for (const k of Object.keys(row)) if (!known.has(k)) (known.add(k), names.push(k));
  });
  const raw: RawColumn[] = names.map((name) => ({
    name,
    cells: rows.map((row: Record<string, unknown>, i) => jsonCell(row[name], name, i, source)),
  }));
  return { columns: raw.map((c) => inferColumn(c, (i) => `row ${i}`, source)), nRows: rows.length };
}

/** The column named `name`, or a typed error listing the columns there are. */
export function column(table: Table, name: string, role = 'column'): Column {
  const c = table.columns.find((col) => col.name === name);
  if (c === undefined) {
    const names = table.columns.map((col) => JSON.stringify(col.name));
    throw new InvalidArgumentError(`The ${role} ${JSON.stringify(name)} is not in the table; its columns are ${names.join(', ')}`);
  }
  return c;
}

function jsonCell(v: unknown, name: string, i: number, source: string): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v;
  throw new InvalidArgumentError(`${source}: row ${i}, column ${JSON.stringify(name)} holds ${describe(v)}; expected a number, a string, a boolean or null`);
}

/** Infers the kind of one column; `where(i)` names row i for errors ("line 7", "row 6"). */
function inferColumn(raw: RawColumn, where: (i: number) => string, source: string): Column {
  const n = raw.cells.length;
  const numbers = new Float64Array(n).fill(NaN);
  let nNumeric = 0;
  let firstLabel = -1;
  let nLabels = 0;
  for (let i = 0; i < n; i++) {
    const c = raw.cells[i]!;
    if (c === null) continue;
    if (typeof c === 'number') {
      numbers[i] = c;
      nNumeric++;
      continue;
    }
    const t = c.trim();
    if (MISSING_TOKENS.includes(t)) continue;
    if (NUMBER.test(t)) {
      numbers[i] = Number(t);
      nNumeric++;
    } else {
      nLabels++;
      if (firstLabel < 0) firstLabel = i;
    }
  }
  if (nLabels === 0) return { name: raw.name, kind: 'numeric', values: numbers };
  if (nNumeric / (nNumeric + nLabels) >= MIXED_NUMERIC_SHARE) {
    throw new InvalidArgumentError(
      `${source}: column ${JSON.stringify(raw.name)} is mixed: ${nNumeric} numbers and ${nLabels} non-numeric value(s), ` +
        `e.g. ${JSON.stringify(raw.cells[firstLabel])} on ${where(firstLabel)}; fix or blank those cells (missing: ${MISSING_TOKENS.map((t) => JSON.stringify(t)).join(', ')})`,
    );
  }
  const labels = raw.cells.map((c) => {
    if (c === null) return null;
    const t = typeof c === 'number' ? String(c) : c.trim();
    return MISSING_TOKENS.includes(t) ? null : t;
  });
  return { name: raw.name, kind: 'categorical', values: labels };
}
