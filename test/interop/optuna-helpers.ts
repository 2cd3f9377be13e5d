/** Optuna's side of the interop tests: the Python fixture script, and comparisons with its JSON dumps. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { fromOptunaDistribution } from '../../src/interop/optuna/distributions.js';
import { parseDatetime } from '../../src/interop/optuna/format.js';
import { pyParse } from '../../src/interop/optuna/pyjson.js';
import type { FrozenTrial, StudyDirection } from '../../src/trial/index.js';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, 'fixtures', 'optuna_study.py');
export const PYTHON = '/usr/bin/python3';

/** Runs the fixture script; resolves to its stdout. */
export async function optuna(...args: string[]): Promise<string> {
  const { stdout } = await run(PYTHON, [SCRIPT, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  return stdout;
}

export interface DumpedTrial {
  number: number;
  state: string;
  values: number[] | null;
  params: Record<string, unknown>;
  distributions: Record<string, unknown>;
  user_attrs: Record<string, unknown>;
  system_attrs: Record<string, unknown>;
  intermediate_values: [number, number][];
  datetime_start: string | null;
  datetime_complete: string | null;
  param_types: Record<string, string>;
}

export interface DumpedStudy {
  name: string;
  directions: StudyDirection[];
  user_attrs: Record<string, unknown>;
  system_attrs: Record<string, unknown>;
  trials: DumpedTrial[];
}

/** Every study of an Optuna storage ("journal:<file>" or an RDB URL) as Optuna loads it. */
export async function dump(storage: string): Promise<DumpedStudy[]> {
  return pyParse(await optuna('dump', storage)) as DumpedStudy[];
}

const ms = (iso: string | null) => (iso === null ? null : parseDatetime(iso)!.getTime());

/** Ours and Optuna's record of one study agree field by field (datetimes to the millisecond). */
export function expectSameStudy(
  optunaStudy: DumpedStudy,
  ours: { directions: readonly StudyDirection[]; userAttrs: unknown; systemAttrs: unknown; trials: readonly FrozenTrial[] },
): void {
  expect(ours.directions).toEqual(optunaStudy.directions);
  expect(ours.userAttrs).toEqual(optunaStudy.user_attrs);
  expect(ours.systemAttrs).toEqual(optunaStudy.system_attrs);
  expect(ours.trials).toHaveLength(optunaStudy.trials.length);
  optunaStudy.trials.forEach((o, i) => {
    const t = ours.trials[i]!;
    const at = `trial ${i}`;
    expect(t.number, at).toBe(o.number);
    expect(t.state, at).toBe(o.state);
    expect(t.values, at).toEqual(o.values);
    expect(t.params, at).toEqual(o.params);
    const dists = Object.fromEntries(Object.entries(o.distributions).map(([k, d]) => [k, fromOptunaDistribution(d)]));
    expect(t.distributions, at).toEqual(dists);
    expect(t.userAttrs, at).toEqual(o.user_attrs);
    expect(t.systemAttrs, at).toEqual(o.system_attrs);
    expect([...t.intermediateValues].sort((a, b) => a[0] - b[0]), at).toEqual(o.intermediate_values);
    expect(t.datetimeStart?.getTime() ?? null, at).toBe(ms(o.datetime_start));
    expect(t.datetimeComplete?.getTime() ?? null, at).toBe(ms(o.datetime_complete));
  });
}
