/**
 * Optuna interop against Optuna 3.1 itself (/usr/bin/python3): a study we export loads in Optuna as it
 * is; journals and databases Optuna writes import with nothing lost; bad input is refused whole.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { categoricalDistribution, floatDistribution, intDistribution } from '../../src/distributions/index.js';
import { DuplicatedStudyError, NotFoundError } from '../../src/errors.js';
import {
  exportOptunaJournal,
  importOptunaJournal,
  importOptunaRdb,
  JournalStudyExistsError,
  NotRepresentableError,
  OptunaFormatError,
} from '../../src/interop/optuna/index.js';
import type { Storage } from '../../src/storage/base.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';
import { tempDir } from '../helpers.js';
import { PG_URL, pgEnabled } from '../pg.js';
import { dump, expectSameStudy, optuna, type DumpedStudy } from './optuna-helpers.js';

const D = {
  x: floatDistribution(-5, 5),
  lr: floatDistribution(1e-5, 0.1, true),
  q: floatDistribution(0, 2, false, 0.25),
  n: intDistribution(1, 10),
  nl: intDistribution(1, 64, true),
  ns: intDistribution(0, 10, false, 2),
  c: categoricalDistribution([null, true, 1.5, 'adam', 3]),
};

async function studyOf(storage: Storage, name: string) {
  const id = await storage.getStudyIdFromName(name);
  return {
    directions: await storage.getStudyDirections(id),
    userAttrs: await storage.getStudyUserAttrs(id),
    systemAttrs: await storage.getStudySystemAttrs(id),
    trials: await storage.getAllTrials(id),
  };
}

/** Trials without their storage-wide ids, which differ between storages. */
const withoutIds = (ts: readonly FrozenTrial[]) => ts.map(({ trialId: _, ...rest }) => rest);

/** Our study with every state, distribution kind, several objectives' worth of fields. */
async function ourStudies(storage: Storage): Promise<void> {
  const id = await storage.createStudy('ours', ['minimize', 'maximize']);
  await storage.setStudyUserAttr(id, 'owner', { team: 'ml', n: [1, 2.5] });
  await storage.setStudySystemAttr(id, 'note', 'kept');
  const t0 = Date.UTC(2024, 4, 6, 7, 8, 9, 123);
  const p = (x: number, n: number, c: number) => ({
    x: { internal: x, distribution: D.x },
    lr: { internal: 0.00125, distribution: D.lr },
    q: { internal: 1.75, distribution: D.q },
    n: { internal: n, distribution: D.n },
    nl: { internal: 32, distribution: D.nl },
    ns: { internal: 4, distribution: D.ns },
    c: { internal: c, distribution: D.c },
  });
  for (let c = 0; c < 5; c++) {
    await storage.createTrial(id, {
      state: TrialState.COMPLETE,
      values: [c * 1.5 - 2, 1 / (c + 1)],
      params: p(c - 2.5, c + 1, c),
      intermediateValues: new Map([[0, c], [5, c + 0.25]]),
      datetimeStart: new Date(t0 + c * 1000),
      datetimeComplete: new Date(t0 + c * 1000 + 517),
      userAttrs: { c, label: `t${c}`, deep: { ok: true } },
      systemAttrs: { origin: 'test' },
    });
  }
  await storage.createTrial(id, { state: TrialState.PRUNED, params: p(1, 2, 3), intermediateValues: new Map([[1, 9.5]]), datetimeStart: new Date(t0), datetimeComplete: new Date(t0 + 5) });
  await storage.createTrial(id, { state: TrialState.FAIL, params: p(0, 1, 0), datetimeStart: new Date(t0), datetimeComplete: new Date(t0 + 7), systemAttrs: { failReason: 'NaN objective' } });
  await storage.createTrial(id, { state: TrialState.RUNNING, params: p(2, 3, 1), datetimeStart: new Date(t0 + 60_000) });
  await storage.createTrial(id, { state: TrialState.WAITING, params: { x: { internal: 0.5, distribution: D.x } }, userAttrs: { queued: true } });
}

describe('Optuna journal export', () => {
  const dir = tempDir();
  let source: MemoryStorage;
  let loaded: DumpedStudy[];
  const file = () => join(dir, 'ours.log');

  beforeAll(async () => {
    source = new MemoryStorage();
    await ourStudies(source);
    const out = await exportOptunaJournal({ storage: source, studyName: 'ours' }, file());
    expect(out).toEqual({ studyName: 'ours', optunaStudyId: 0, nTrials: 9 });
    loaded = await dump(`journal:${file()}`);
  });

  it('Optuna loads every field of every trial as we had it', async () => {
    expect(loaded.map((s) => s.name)).toEqual(['ours']);
    expectSameStudy(loaded[0]!, await studyOf(source, 'ours'));
  });

  it('keeps Python types: float parameters are floats, int ones ints', () => {
    const types = loaded[0]!.trials[0]!.param_types;
    expect(types).toEqual({ x: 'float', lr: 'float', q: 'float', n: 'int', nl: 'int', ns: 'int', c: 'NoneType' });
  });

  it('round-trips through the journal with nothing lost', async () => {
    const target = new MemoryStorage();
    const [imported] = await importOptunaJournal(file(), { storage: target });
    expect(imported).toMatchObject({ studyName: 'ours', nTrials: 9 });
    const a = await studyOf(source, 'ours');
    const b = await studyOf(target, 'ours');
    expect({ ...b, trials: withoutIds(b.trials) }).toEqual({ ...a, trials: withoutIds(a.trials) });
  });

  it('appends a second study to the journal, and refuses a name the journal has', async () => {
    const other = new MemoryStorage();
    const id = await other.createStudy('second', ['maximize']);
    await other.createTrial(id, { state: TrialState.COMPLETE, values: [3], params: { n: { internal: 4, distribution: D.n } } });
    expect(await exportOptunaJournal({ storage: other, studyName: 'second' }, file())).toMatchObject({ optunaStudyId: 1, nTrials: 1 });
    const both = await dump(`journal:${file()}`);
    expect(both.map((s) => s.name)).toEqual(['ours', 'second']);
    expectSameStudy(both[1]!, await studyOf(other, 'second'));
    const before = readFileSync(file(), 'utf8');
    await expect(exportOptunaJournal({ storage: other, studyName: 'second' }, file())).rejects.toThrow(JournalStudyExistsError);
    expect(readFileSync(file(), 'utf8')).toBe(before);
  });

  it('refuses what Optuna would load differently, naming the trial and parameter, writing nothing', async () => {
    const s = new MemoryStorage();
    const id = await s.createStudy('odd', ['minimize']);
    await s.createTrial(id, { state: TrialState.COMPLETE, values: [1] });
    // Within our step tolerance, but Optuna's decimal check would lower `high` to 0.2.
    const d = floatDistribution(0, 0.30000000000000004, false, 0.1);
    await s.createTrial(id, { state: TrialState.COMPLETE, values: [1], params: { w: { internal: 0.1, distribution: d } } });
    const out = join(dir, 'odd.log');
    const err = await exportOptunaJournal({ storage: s, studyName: 'odd' }, out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotRepresentableError);
    expect(err).toMatchObject({ study: 'odd', trial: 1, param: 'w' });
    expect((err as Error).message).toMatch(/study "odd", trial 1, "w".*step 0\.1/);
    expect(() => readFileSync(out)).toThrow();
  });
});

describe('Optuna journal import', () => {
  const dir = tempDir();
  const file = () => join(dir, 'optuna.log');
  let dumped: DumpedStudy[];

  beforeAll(async () => {
    await optuna('write', `journal:${file()}`);
    dumped = await dump(`journal:${file()}`);
  });

  it('imports every study Optuna wrote with nothing lost', async () => {
    const target = new MemoryStorage();
    const imported = await importOptunaJournal(file(), { storage: target });
    expect(imported.map((s) => [s.studyName, s.nTrials])).toEqual([
      ['mixed', 14],
      ['multi', 4],
    ]);
    expect(dumped[0]!.trials.map((t) => t.state)).toEqual(expect.arrayContaining(['COMPLETE', 'PRUNED', 'FAIL', 'RUNNING', 'WAITING']));
    for (const s of dumped) expectSameStudy(s, await studyOf(target, s.name));
  });

  it('imports one study by name, and refuses an unknown name or a name the target has', async () => {
    const target = new MemoryStorage();
    expect((await importOptunaJournal(file(), { storage: target, studyName: 'multi' })).map((s) => s.studyName)).toEqual(['multi']);
    await expect(importOptunaJournal(file(), { storage: target, studyName: 'nope' })).rejects.toThrow(NotFoundError);
    await expect(importOptunaJournal(file(), { storage: target, studyName: 'nope' })).rejects.toThrow(/"nope".*\["mixed","multi"\]/);
    // Both studies: "multi" exists, so "mixed" is not written either.
    await expect(importOptunaJournal(file(), { storage: target })).rejects.toThrow(DuplicatedStudyError);
    expect((await target.getAllStudies()).map((s) => s.studyName)).toEqual(['multi']);
  });

  it('refuses a corrupt or truncated journal with the line number, writing nothing', async () => {
    const lines = readFileSync(file(), 'utf8').split('\n');
    const cases: [string, string, RegExp][] = [
      ['corrupt.log', [...lines.slice(0, 9), '{"op_code": 4, "worker_id": "w", "study_id": 0, ', ...lines.slice(9)].join('\n'), /line 10: the line is not JSON/],
      ['truncated.log', lines.join('\n').slice(0, -40), new RegExp(`line ${lines.length - 1}: the last line is cut short`)],
      ['unknown-op.log', [...lines.slice(0, 3), '{"op_code": 12, "worker_id": "w"}', ...lines.slice(3)].join('\n'), /line 4: unknown op_code 12/],
      ['missing-field.log', [...lines.slice(0, 3), '{"op_code": 7, "worker_id": "w", "trial_id": 0}', ...lines.slice(3)].join('\n'), /line 4: .*lacks "step"/],
    ];
    for (const [name, text, message] of cases) {
      writeFileSync(join(dir, name), text);
      const target = new MemoryStorage();
      const err = await importOptunaJournal(join(dir, name), { storage: target }).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(OptunaFormatError);
      expect((err as Error).message, name).toMatch(message);
      expect(await target.getAllStudies(), name).toEqual([]);
    }
  });

  it('refuses values our storages cannot keep, naming the trial and parameter or step', async () => {
    const w = '"worker_id": "w"';
    const head = `{"op_code": 0, ${w}, "study_name": "s", "directions": [1]}\n{"op_code": 4, ${w}, "study_id": 0, "datetime_start": null}\n`;
    const unknown = join(dir, 'unknown-dist.log');
    writeFileSync(
      unknown,
      head + `{"op_code": 5, ${w}, "trial_id": 0, "param_name": "p", "param_value_internal": 1.0, "distribution": "{\\"name\\": \\"BetaDistribution\\", \\"attributes\\": {}}"}\n`,
    );
    const e1 = await importOptunaJournal(unknown, { storage: new MemoryStorage() }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(NotRepresentableError);
    expect((e1 as Error).message).toMatch(/study "s", trial 0, "p".*unknown Optuna distribution class "BetaDistribution"/);
    const nan = join(dir, 'nan.log');
    writeFileSync(nan, head + `{"op_code": 7, ${w}, "trial_id": 0, "step": 3, "intermediate_value": NaN}\n`);
    await expect(importOptunaJournal(nan, { storage: new MemoryStorage() })).rejects.toThrow(/trial 0, "intermediate value at step 3".*NaN/);
    const inf = join(dir, 'inf.log');
    writeFileSync(inf, head + `{"op_code": 6, ${w}, "trial_id": 0, "state": 1, "values": [Infinity], "datetime_complete": "2024-01-01T00:00:00.000000"}\n`);
    await expect(importOptunaJournal(inf, { storage: new MemoryStorage() })).rejects.toThrow(/trial 0, "values\[0\]".*Infinity/);
    const big = join(dir, 'big.log');
    writeFileSync(big, head + `{"op_code": 8, ${w}, "trial_id": 0, "user_attr": {"id": 123456789012345678901}}\n`);
    await expect(importOptunaJournal(big, { storage: new MemoryStorage() })).rejects.toThrow(/line 3: .*beyond 2\^53/);
  });

  it('follows Optuna where it skips operations: a write to a finished trial, a deleted study', async () => {
    const w = '"worker_id": "w"';
    const f = join(dir, 'skips.log');
    writeFileSync(
      f,
      [
        `{"op_code": 0, ${w}, "study_name": "gone", "directions": [1]}`,
        `{"op_code": 0, ${w}, "study_name": "kept", "directions": [2]}`,
        `{"op_code": 1, ${w}, "study_id": 0}`,
        `{"op_code": 4, ${w}, "study_id": 1, "datetime_start": "2024-02-03T04:05:06.789000"}`,
        `{"op_code": 6, ${w}, "trial_id": 0, "state": 1, "values": [2.5], "datetime_complete": "2024-02-03T04:05:07.000000"}`,
        `{"op_code": 8, ${w}, "trial_id": 0, "user_attr": {"late": 1}}`,
        '',
      ].join('\n'),
    );
    const target = new MemoryStorage();
    await importOptunaJournal(f, { storage: target });
    const kept = await studyOf(target, 'kept');
    expectSameStudy((await dump(`journal:${f}`))[0]!, kept);
    expect(kept.trials[0]!.userAttrs).toEqual({});
    expect(kept.directions).toEqual(['maximize']);
  });
});

describe('Optuna RDB import', () => {
  const dir = tempDir();

  it('imports a study from an Optuna SQLite database with nothing lost', async () => {
    const url = `sqlite:///${join(dir, 'optuna.db')}`;
    await optuna('write', url);
    const dumped = await dump(url);
    for (const s of dumped) {
      const target = new MemoryStorage();
      expect(await importOptunaRdb(url, { storage: target, studyName: s.name })).toMatchObject({ studyName: s.name, nTrials: s.trials.length });
      expectSameStudy(s, await studyOf(target, s.name));
    }
    await expect(importOptunaRdb(url, { storage: new MemoryStorage(), studyName: 'nope' })).rejects.toThrow(/No study named "nope".*\["mixed","multi"\]/);
    const notOptuna = join(dir, 'plain.db');
    writeFileSync(notOptuna, '');
    await expect(importOptunaRdb(`sqlite:///${notOptuna}`, { storage: new MemoryStorage(), studyName: 'x' })).rejects.toThrow(OptunaFormatError);
  });

  describe.runIf(pgEnabled)('PostgreSQL', () => {
    const name = `optuna_t_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const url = (() => {
      const u = new URL(PG_URL);
      u.pathname = `/${name}`;
      return u.toString();
    })();
    beforeAll(async () => {
      await optuna('createdb', PG_URL, name);
      await optuna('write', url);
    });
    afterAll(async () => {
      await optuna('dropdb', PG_URL, name);
    });

    it('imports a study from an Optuna PostgreSQL database with nothing lost', async () => {
      const dumped = await dump(url);
      for (const s of dumped) {
        const target = new MemoryStorage();
        await importOptunaRdb(url, { storage: target, studyName: s.name });
        expectSameStudy(s, await studyOf(target, s.name));
      }
    });
  });
});
