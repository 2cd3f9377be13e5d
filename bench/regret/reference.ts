/**
 * Optuna's regret table as recorded in bench/reference/README.md:
 * parsed rather than copied, so the comparison follows the file if it is re-measured.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Quartiles } from './stats.js';

export const REFERENCE_DIR = join(import.meta.dirname, '..', 'reference');
export const REFERENCE_README = join(REFERENCE_DIR, 'README.md');

export interface ReferenceTable {
  /** problem → column header (e.g. 'tpe multivariate') → quartiles of the simple regret */
  readonly cells: ReadonlyMap<string, ReadonlyMap<string, Quartiles>>;
  /** problem → budget, as written in the row label `branin (60)` */
  readonly budgets: ReadonlyMap<string, number>;
}

const NUM = String.raw`([-+]?\d*\.?\d+(?:e[-+]?\d+)?)`;
const CELL = new RegExp(String.raw`^${NUM}\s*\[\s*${NUM}\s*,\s*${NUM}\s*\]$`, 'i');

/**
 * The first markdown table whose header starts with `problem (budget)`. Throws when there is none,
 * or a cell does not read `median [q1, q3]`: a silently missing reference would void the goals.
 */
export function parseReferenceTable(markdown: string): ReferenceTable {
  const rows = markdown.split('\n').map((l) => l.trim());
  const h = rows.findIndex((l) => /^\|\s*problem \(budget\)\s*\|/.test(l));
  if (h < 0) throw new Error('no "| problem (budget) | …" table in the reference README');
  const split = (l: string): string[] => l.replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
  const header = split(rows[h]!).slice(1);
  const cells = new Map<string, Map<string, Quartiles>>();
  const budgets = new Map<string, number>();
  for (let i = h + 2; i < rows.length && rows[i]!.startsWith('|'); i++) {
    const [label = '', ...values] = split(rows[i]!);
    const m = /^(\S+)\s*\((\d+)\)$/.exec(label);
    if (m === null) throw new Error(`unreadable reference row label ${JSON.stringify(label)}`);
    const byColumn = new Map<string, Quartiles>();
    values.forEach((v, j) => {
      const c = CELL.exec(v);
      if (c === null) throw new Error(`unreadable reference cell ${JSON.stringify(v)} (${m[1]}, ${header[j]})`);
      byColumn.set(header[j]!, { median: Number(c[1]), q1: Number(c[2]), q3: Number(c[3]) });
    });
    cells.set(m[1]!, byColumn);
    budgets.set(m[1]!, Number(m[2]));
  }
  return { cells, budgets };
}

export const readReferenceTable = (): ReferenceTable => parseReferenceTable(readFileSync(REFERENCE_README, 'utf8'));
