/**
 * The storage contract (src/storage/base.ts), run against every storage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { categoricalDistribution, floatDistribution, intDistribution } from '../../src/distributions/index.js';
import {
  DuplicatedStudyError,
  InvalidArgumentError,
  NotFoundError,
  ParameterConflictError,
  StorageError,
  TrialFinishedError,
} from '../../src/errors.js';
import type { Storage } from '../../src/storage/base.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';
import { dropSchema, freshSchema, pgEnabled, schemaUrl } from '../pg.js';
import { serverUpFor } from './pg-uptime.js';

interface Harness {
  /** A fresh, empty storage. */
  make(): Storage;
  /** A second handle on the same data (another connection), for persistent storages. */
  another?(): Storage;
  /**
   * Whose clock stamps times: this process's `Date` (which tests may fake) or a database server's, which
   * tests can only wait for.
   */
  clock?: 'server';
  cleanup(): void | Promise<void>;
}

function memoryHarness(): Harness {
  return { make: () => new MemoryStorage(), cleanup: () => {} };
}

function sqliteHarness(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'tunable-contract-'));
  const file = join(dir, 'study.db');
  return {
    make: () => new SqliteStorage(file),
    another: () => new SqliteStorage(file),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Each harness its own schema, dropped in cleanup. */
function postgresHarness(): Harness {
  const schema = freshSchema();
  const url = schemaUrl(schema);
  return {
    make: () => new PostgresStorage(url),
    another: () => new PostgresStorage(url),
    clock: 'server',
    cleanup: () => dropSchema(schema),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const F = floatDistribution(-10, 10);
const I = intDistribution(1, 100);
const C = categoricalDistribution([null, 'adam', 1.5, true, 'sgd']);

describe.each([
  ['memory', memoryHarness],
  ['sqlite file', sqliteHarness],
  ...(pgEnabled ? ([['postgresql', postgresHarness]] as const) : []),
] as const)('Storage contract: %s', (_name, harnessFactory) => {
  let h: Harness;
  let s: Storage;
  const extra: Storage[] = [];

  beforeEach(() => {
    h = harnessFactory();
    s = h.make();
  });

  afterEach(async () => {
    await s.close();
    for (const e of extra.splice(0)) await e.close();
    await h.cleanup();
  });

  // ---------------------------------------------------------------------------------------------
  describe('studies', () => {
    it('creates, names, finds and lists studies', async () => {
      const a = await s.createStudy('alpha', ['minimize']);
      const b = await s.createStudy('beta', ['maximize', 'minimize']);
      expect(a).not.toBe(b);
      expect(await s.getStudyIdFromName('alpha')).toBe(a);
      expect(await s.getStudyIdFromName('beta')).toBe(b);
      expect(await s.getStudyName(b)).toBe('beta');
      expect(await s.getStudyDirections(a)).toEqual(['minimize']);
      expect(await s.getStudyDirections(b)).toEqual(['maximize', 'minimize']);
      // the returned array is the caller's
      const dirs = await s.getStudyDirections(a);
      dirs.push('maximize');
      expect(await s.getStudyDirections(a)).toEqual(['minimize']);

      const all = await s.getAllStudies();
      expect(all.map((x) => x.studyName).sort()).toEqual(['alpha', 'beta']);
      const sa = all.find((x) => x.studyId === a)!;
      expect(sa.nTrials).toBe(0);
      expect(sa.bestTrial).toBeNull();
      expect(sa.datetimeStart).toBeNull();
      expect(sa.directions).toEqual(['minimize']);
    });

    it('summarises trials count, best trial, start time and user attrs', async () => {
      const min = await s.createStudy('min', ['minimize']);
      const max = await s.createStudy('max', ['maximize']);
      const multi = await s.createStudy('multi', ['minimize', 'minimize']);
      for (const [id, vals] of [
        [min, [3, 1, 2]],
        [max, [3, 5, 4]],
      ] as const) {
        for (const v of vals) {
          const t = await s.createTrial(id);
          await s.setTrialState(t.trialId, TrialState.COMPLETE, [v]);
        }
        const pruned = await s.createTrial(id);
        await s.setTrialState(pruned.trialId, TrialState.PRUNED, [id === min ? -100 : 100]); // never best
        await s.createTrial(id); // running
      }
      const m = await s.createTrial(multi);
      await s.setTrialState(m.trialId, TrialState.COMPLETE, [1, 2]);
      await s.setStudyUserAttr(min, 'owner', 'me');

      const all = await s.getAllStudies();
      const smin = all.find((x) => x.studyId === min)!;
      const smax = all.find((x) => x.studyId === max)!;
      const smulti = all.find((x) => x.studyId === multi)!;
      expect(smin.nTrials).toBe(5);
      expect(smin.bestTrial?.values).toEqual([1]);
      expect(smin.bestTrial?.number).toBe(1);
      expect(smax.bestTrial?.values).toEqual([5]);
      expect(smulti.nTrials).toBe(1);
      expect(smulti.bestTrial).toBeNull();
      expect(smin.datetimeStart).toBeInstanceOf(Date);
      expect(smin.userAttrs).toEqual({ owner: 'me' });
    });

    it('refuses a duplicated name with DuplicatedStudyError', async () => {
      await s.createStudy('dup', ['minimize']);
      await expect(s.createStudy('dup', ['maximize'])).rejects.toBeInstanceOf(DuplicatedStudyError);
      await expect(s.createStudy('dup', ['maximize'])).rejects.toThrow(/"dup"/);
      expect((await s.getAllStudies()).length).toBe(1);
    });

    it('throws NotFoundError naming the missing study', async () => {
      await expect(s.getStudyIdFromName('nope-study')).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.getStudyIdFromName('nope-study')).rejects.toThrow(/nope-study/);
      await expect(s.getStudyName(4242)).rejects.toThrow(/4242/);
      await expect(s.getStudyName(4242)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.getStudyDirections(4242)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.deleteStudy(4242)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.createTrial(4242)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.getAllTrials(4242)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.getNTrials(4242)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.setStudyUserAttr(4242, 'k', 1)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.setStudySystemAttrIfAbsent(4242, 'k', 1)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.getStudyUserAttrs(4242)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.claimWaitingTrial(4242)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.failStaleTrials(4242, 1000)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.getTrial(777)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.getTrial(777)).rejects.toThrow(/777/);
      await expect(s.setTrialParam(777, 'x', 1, F)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.setTrialState(777, TrialState.FAIL)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.recordHeartbeat(777)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('stores study user and system attributes (JSON values, exact floats)', async () => {
      const id = await s.createStudy('attrs', ['minimize']);
      const v = { a: [1, 'two', null, true], b: { c: 0.1 + 0.2, d: 1e-300, e: -1.7976931348623157e308 }, s: 'héllo ✓' };
      await s.setStudyUserAttr(id, 'nested', v);
      await s.setStudyUserAttr(id, 'n', 0.1 + 0.2);
      await s.setStudyUserAttr(id, 'n', 42); // overwrite
      await s.setStudySystemAttr(id, 'sys', 'x');
      const ua = await s.getStudyUserAttrs(id);
      expect(ua).toEqual({ nested: v, n: 42 });
      expect((ua['nested'] as typeof v).b.c).toBe(0.1 + 0.2);
      expect(await s.getStudySystemAttrs(id)).toEqual({ sys: 'x' });
      // the stored value is a copy: mutating the argument afterwards changes nothing
      v.a.push('late');
      expect(((await s.getStudyUserAttrs(id))['nested'] as typeof v).a).toHaveLength(4);
    });

    it('setStudySystemAttrIfAbsent sets once, atomically', async () => {
      const id = await s.createStudy('once', ['minimize']);
      expect(await s.setStudySystemAttrIfAbsent(id, 'grid:0', { by: 1 })).toBe(true);
      expect(await s.setStudySystemAttrIfAbsent(id, 'grid:0', { by: 2 })).toBe(false);
      expect((await s.getStudySystemAttrs(id))['grid:0']).toEqual({ by: 1 });
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => s.setStudySystemAttrIfAbsent(id, 'grid:1', i)));
      expect(results.filter((r) => r)).toHaveLength(1);
      expect((await s.getStudySystemAttrs(id))['grid:1']).toBe(results.indexOf(true));
      // a key set by setStudySystemAttr counts as present
      await s.setStudySystemAttr(id, 'grid:2', 'x');
      expect(await s.setStudySystemAttrIfAbsent(id, 'grid:2', 'y')).toBe(false);
    });

    it('deleteStudy removes the study and all its trials; the name becomes free', async () => {
      const id = await s.createStudy('doomed', ['minimize']);
      const keep = await s.createStudy('kept', ['minimize']);
      const t1 = await s.createTrial(id, { params: { x: { internal: 1, distribution: F } }, userAttrs: { a: 1 } });
      await s.setTrialIntermediateValue(t1.trialId, 0, 1.5);
      await s.setTrialState(t1.trialId, TrialState.COMPLETE, [1]);
      const t2 = await s.createTrial(id);
      const k = await s.createTrial(keep);
      await s.getAllTrials(id); // warm any cache
      await s.setStudyUserAttr(id, 'x', 1);

      await s.deleteStudy(id);
      await expect(s.getStudyName(id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.getStudyIdFromName('doomed')).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.getAllTrials(id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.getTrial(t1.trialId)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.getTrial(t2.trialId)).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.setTrialParam(t2.trialId, 'x', 1, F)).rejects.toBeInstanceOf(NotFoundError);
      expect((await s.getTrial(k.trialId)).number).toBe(0);
      expect((await s.getAllStudies()).map((x) => x.studyName)).toEqual(['kept']);

      const again = await s.createStudy('doomed', ['maximize']);
      expect(again).not.toBe(id);
      expect(await s.getAllTrials(again)).toEqual([]);
      expect(await s.getStudyUserAttrs(again)).toEqual({});
      expect((await s.createTrial(again)).number).toBe(0);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('trials', () => {
    let study: number;
    beforeEach(async () => {
      study = await s.createStudy('trials', ['minimize']);
    });

    it('numbers trials 0, 1, 2, ... without gaps, also under concurrent calls', async () => {
      const first = await s.createTrial(study);
      expect(first.number).toBe(0);
      expect(first.state).toBe(TrialState.RUNNING);
      expect(first.datetimeStart).toBeInstanceOf(Date);
      expect(first.datetimeComplete).toBeNull();
      expect(first.values).toBeNull();
      const many = await Promise.all(Array.from({ length: 30 }, () => s.createTrial(study)));
      const numbers = many.map((t) => t.number).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(new Set(many.map((t) => t.trialId)).size).toBe(30);
      const all = await s.getAllTrials(study);
      expect(all.map((t) => t.number)).toEqual(Array.from({ length: 31 }, (_, i) => i));
      // numbers are per study
      const other = await s.createStudy('other', ['minimize']);
      expect((await s.createTrial(other)).number).toBe(0);
    });

    it('round-trips params exactly (float64, int, categorical)', async () => {
      const t = await s.createTrial(study);
      const tiny = floatDistribution(0, 1);
      await s.setTrialParam(t.trialId, 'sum', 0.1 + 0.2, tiny);
      await s.setTrialParam(t.trialId, 'tiny', 1e-300, tiny);
      await s.setTrialParam(t.trialId, 'neg', -9.999999999999998, F);
      await s.setTrialParam(t.trialId, 'n', 37, I);
      await s.setTrialParam(t.trialId, 'opt', 1, C);
      await s.setTrialParam(t.trialId, 'nul', 0, C);
      await s.setTrialParam(t.trialId, 'flag', 3, C);
      await s.setTrialParam(t.trialId, 'lr', 3.0517578125e-5, floatDistribution(1e-6, 1, true));
      await s.setTrialParam(t.trialId, 'stepped', 0.30000000000000004, floatDistribution(0, 1, false, 0.1));
      const check = (r: FrozenTrial) => {
        expect(r.params).toEqual({ sum: 0.1 + 0.2, tiny: 1e-300, neg: -9.999999999999998, n: 37, opt: 'adam', nul: null, flag: true, lr: 3.0517578125e-5, stepped: 0.30000000000000004 });
        expect(r.params['sum']).toBe(0.30000000000000004);
        expect(r.internalParams).toEqual({ sum: 0.1 + 0.2, tiny: 1e-300, neg: -9.999999999999998, n: 37, opt: 1, nul: 0, flag: 3, lr: 3.0517578125e-5, stepped: 0.30000000000000004 });
        expect(r.distributions['opt']).toEqual(C);
        expect(r.distributions['n']).toEqual(I);
        expect(r.distributions['lr']).toEqual(floatDistribution(1e-6, 1, true));
        expect(r.distributions['stepped']).toEqual(floatDistribution(0, 1, false, 0.1));
        expect(Object.keys(r.params)).toEqual(['sum', 'tiny', 'neg', 'n', 'opt', 'nul', 'flag', 'lr', 'stepped']);
      };
      check(await s.getTrial(t.trialId));
      await s.setTrialState(t.trialId, TrialState.COMPLETE, [0.1 + 0.2]);
      check(await s.getTrial(t.trialId));
      const [all] = await s.getAllTrials(study);
      check(all!);
      expect(all!.values).toEqual([0.30000000000000004]);
      if (h.another) {
        const s2 = h.another();
        extra.push(s2);
        check(await s2.getTrial(t.trialId));
      }
    });

    it('setTrialParams stores several params in one call, in order, all or none', async () => {
      expect(s.setTrialParams).toBeTypeOf('function');
      const t = await s.createTrial(study);
      await s.setTrialParams!(t.trialId, [
        { name: 'x', internal: 0.1 + 0.2, distribution: F },
        { name: 'n', internal: 37, distribution: I },
        { name: 'opt', internal: 1, distribution: C },
        { name: 'x', internal: -2.5, distribution: F },  // the same name again: the later value wins
      ]);
      await s.setTrialParams!(t.trialId, []);
      let r = await s.getTrial(t.trialId);
      expect(r.params).toEqual({ x: -2.5, n: 37, opt: 'adam' });
      expect(Object.keys(r.params)).toEqual(['x', 'n', 'opt']);
      // A conflict or a bad entry anywhere stores nothing of the call.
      await expect(s.setTrialParams!(t.trialId, [
        { name: 'y', internal: 1, distribution: F },
        { name: 'n', internal: 1, distribution: F },
      ])).rejects.toBeInstanceOf(ParameterConflictError);
      await expect(s.setTrialParams!(t.trialId, [
        { name: 'y', internal: 1, distribution: F },
        { name: 'z', internal: 11, distribution: F },
      ])).rejects.toThrow(/params\[1\]|"z"/);
      await expect(s.setTrialParams!(t.trialId, [{ name: '', internal: 1, distribution: F }])).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialParams!(t.trialId, 'x' as never)).rejects.toThrow(/params/);
      r = await s.getTrial(t.trialId);
      expect(r.params).toEqual({ x: -2.5, n: 37, opt: 'adam' });
      await s.setTrialState(t.trialId, TrialState.COMPLETE, [1]);
      await expect(s.setTrialParams!(t.trialId, [{ name: 'y', internal: 1, distribution: F }])).rejects.toBeInstanceOf(TrialFinishedError);
      await expect(s.setTrialParams!(999_999, [{ name: 'y', internal: 1, distribution: F }])).rejects.toBeInstanceOf(NotFoundError);
      if (h.another) {
        const s2 = h.another();
        extra.push(s2);
        expect((await s2.getTrial(t.trialId)).params).toEqual({ x: -2.5, n: 37, opt: 'adam' });
      }
    });

    it('creates trials from a template (params, attrs, WAITING)', async () => {
      const t = await s.createTrial(study, {
        params: { x: { internal: 2.5, distribution: F }, c: { internal: 4, distribution: C } },
        userAttrs: { u: [1, 2] },
        systemAttrs: { fixed: true },
      });
      expect(t.params).toEqual({ x: 2.5, c: 'sgd' });
      expect(t.internalParams).toEqual({ x: 2.5, c: 4 });
      expect(t.userAttrs).toEqual({ u: [1, 2] });
      expect(t.systemAttrs).toEqual({ fixed: true });
      expect(await s.getTrial(t.trialId)).toEqual(t);
      const w = await s.createTrial(study, { state: TrialState.WAITING });
      expect(w.state).toBe(TrialState.WAITING);
      expect(w.datetimeStart).toBeNull();
      expect(await s.getTrial(w.trialId)).toEqual(w);
    });

    it('creates trials as recorded elsewhere: any state, values, intermediate values and times', async () => {
      const start = new Date(Date.UTC(2023, 0, 2, 3, 4, 5, 678));
      const complete = new Date(Date.UTC(2023, 0, 2, 3, 5, 0, 1));
      const c = await s.createTrial(study, {
        state: TrialState.COMPLETE,
        values: [0.125],
        intermediateValues: new Map([[3, -1.5], [0, 2.25]]),
        datetimeStart: start,
        datetimeComplete: complete,
        params: { x: { internal: 2.5, distribution: F } },
        userAttrs: { u: 1 },
      });
      expect(c.state).toBe(TrialState.COMPLETE);
      expect(c.values).toEqual([0.125]);
      expect([...c.intermediateValues]).toEqual([[0, 2.25], [3, -1.5]]);
      expect(c.datetimeStart).toEqual(start);
      expect(c.datetimeComplete).toEqual(complete);
      expect(await s.getTrial(c.trialId)).toEqual(c);
      const p = await s.createTrial(study, { state: TrialState.PRUNED, datetimeStart: null, datetimeComplete: null });
      expect(p.values).toBeNull();
      expect([p.datetimeStart, p.datetimeComplete]).toEqual([null, null]);
      expect(await s.getTrial(p.trialId)).toEqual(p);
      const f = await s.createTrial(study, { state: TrialState.FAIL, values: [7] });
      expect(f.datetimeStart).not.toBeNull();
      expect(f.datetimeComplete).not.toBeNull();
      const r = await s.createTrial(study, { state: TrialState.RUNNING, datetimeStart: start, intermediateValues: new Map([[1, 1]]) });
      expect(r.datetimeStart).toEqual(start);
      expect(await s.getTrial(r.trialId)).toEqual(r);
      // Finished from the start: immutable like any other finished trial.
      await expect(s.setTrialUserAttr(c.trialId, 'k', 1)).rejects.toThrow(TrialFinishedError);
      expect((await s.getAllTrials(study, [TrialState.COMPLETE])).map((t) => t.number)).toEqual([0]);
      const [summary] = await s.getAllStudies();
      expect(summary!.bestTrial?.number).toBe(0);
    });

    it('refuses a bad recorded template with a typed error naming the field, creating nothing', async () => {
      const bad: [unknown, RegExp][] = [
        [{ state: 'DONE' }, /`template.state`.*"DONE"/],
        [{ state: TrialState.COMPLETE }, /values/],
        [{ state: TrialState.COMPLETE, values: [1, 2] }, /`values`/],
        [{ state: TrialState.PRUNED, values: [NaN] }, /`values\[0\]`.*NaN/],
        [{ state: TrialState.RUNNING, values: [1] }, /`template.values`/],
        [{ state: TrialState.WAITING, datetimeStart: new Date() }, /`template.datetimeStart`/],
        [{ state: TrialState.RUNNING, datetimeComplete: new Date() }, /`template.datetimeComplete`/],
        [{ state: TrialState.FAIL, datetimeStart: new Date(NaN) }, /`template.datetimeStart`/],
        [{ state: TrialState.FAIL, intermediateValues: new Map([[-1, 0]]) }, /step.*-1/],
        [{ state: TrialState.FAIL, intermediateValues: new Map([[1, Infinity]]) }, /`template.intermediateValues\[1\]`.*Infinity/],
        [{ state: TrialState.FAIL, intermediateValues: { 1: 2 } }, /`template.intermediateValues`/],
      ];
      for (const [template, message] of bad) {
        await expect(s.createTrial(study, template as never), JSON.stringify(template)).rejects.toThrow(InvalidArgumentError);
        await expect(s.createTrial(study, template as never)).rejects.toThrow(message);
      }
      expect(await s.getNTrials(study)).toBe(0);
    });

    it('round-trips trial attributes and intermediate values', async () => {
      const t = await s.createTrial(study);
      await s.setTrialUserAttr(t.trialId, 'note', { deep: { list: [0.1 + 0.2, 1e-300, 'x'] } });
      await s.setTrialUserAttr(t.trialId, 'note', 'replaced');
      await s.setTrialUserAttr(t.trialId, 'b', false);
      await s.setTrialSystemAttr(t.trialId, 'sys', [1, { k: null }]);
      await s.setTrialIntermediateValue(t.trialId, 0, 0.1 + 0.2);
      await s.setTrialIntermediateValue(t.trialId, 1, 1e-300);
      await s.setTrialIntermediateValue(t.trialId, 10, -5);
      const r = await s.getTrial(t.trialId);
      expect(r.userAttrs).toEqual({ note: 'replaced', b: false });
      expect(r.systemAttrs).toEqual({ sys: [1, { k: null }] });
      expect([...r.intermediateValues.entries()]).toEqual([
        [0, 0.30000000000000004],
        [1, 1e-300],
        [10, -5],
      ]);
      await expect(s.setTrialIntermediateValue(t.trialId, 1, 7)).rejects.toBeInstanceOf(InvalidArgumentError);
      expect((await s.getTrial(t.trialId)).intermediateValues.get(1)).toBe(1e-300);
      // returned snapshots are frozen
      expect(Object.isFrozen(r)).toBe(true);
      expect(Object.isFrozen(r.params)).toBe(true);
      expect(Object.isFrozen(r.systemAttrs['sys'])).toBe(true);
    });

    it('finishes trials: COMPLETE, PRUNED and FAIL', async () => {
      const a = await s.createTrial(study);
      await s.setTrialState(a.trialId, TrialState.COMPLETE, [1.25]);
      const ra = await s.getTrial(a.trialId);
      expect(ra.state).toBe(TrialState.COMPLETE);
      expect(ra.values).toEqual([1.25]);
      expect(ra.datetimeComplete).toBeInstanceOf(Date);
      expect(ra.datetimeComplete!.getTime()).toBeGreaterThanOrEqual(ra.datetimeStart!.getTime());

      const b = await s.createTrial(study);
      await s.setTrialIntermediateValue(b.trialId, 3, 0.5);
      await s.setTrialState(b.trialId, TrialState.PRUNED, [0.5]);
      expect((await s.getTrial(b.trialId)).values).toEqual([0.5]);
      const b2 = await s.createTrial(study);
      await s.setTrialState(b2.trialId, TrialState.PRUNED);
      expect((await s.getTrial(b2.trialId)).values).toBeNull();

      const c = await s.createTrial(study);
      await s.setTrialState(c.trialId, TrialState.FAIL, null);
      const rc = await s.getTrial(c.trialId);
      expect(rc.state).toBe(TrialState.FAIL);
      expect(rc.values).toBeNull();
    });

    it('rejects bad final states and values without changing the trial', async () => {
      const t = await s.createTrial(study);
      const before = await s.getTrial(t.trialId);
      await expect(s.setTrialState(t.trialId, TrialState.COMPLETE)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialState(t.trialId, TrialState.COMPLETE, [])).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialState(t.trialId, TrialState.COMPLETE, [1, 2])).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialState(t.trialId, TrialState.COMPLETE, [NaN])).rejects.toThrow(/NaN/);
      await expect(s.setTrialState(t.trialId, TrialState.COMPLETE, [Infinity])).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialState(t.trialId, TrialState.RUNNING)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialState(t.trialId, TrialState.WAITING)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialState(t.trialId, 'DONE' as TrialState, [1])).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await s.getTrial(t.trialId)).toEqual(before);
      await s.setTrialState(t.trialId, TrialState.COMPLETE, [1]);
    });

    it('refuses every write to a finished trial with TrialFinishedError and changes nothing', async () => {
      const t = await s.createTrial(study);
      await s.setTrialParam(t.trialId, 'x', 1, F);
      await s.setTrialIntermediateValue(t.trialId, 0, 1);
      await s.setTrialState(t.trialId, TrialState.COMPLETE, [3]);
      const before = await s.getTrial(t.trialId);
      const attempts: Promise<unknown>[] = [
        s.setTrialState(t.trialId, TrialState.COMPLETE, [4]),
        s.setTrialState(t.trialId, TrialState.FAIL),
        s.setTrialParam(t.trialId, 'x', 2, F),
        s.setTrialParam(t.trialId, 'y', 2, F),
        s.setTrialIntermediateValue(t.trialId, 1, 2),
        s.setTrialUserAttr(t.trialId, 'k', 1),
        s.setTrialSystemAttr(t.trialId, 'k', 1),
        s.recordHeartbeat(t.trialId),
      ];
      // Handled from the start: a networked storage rejects them while the first is still being awaited.
      for (const a of attempts) a.catch(() => undefined);
      for (const a of attempts) await expect(a).rejects.toBeInstanceOf(TrialFinishedError);
      await expect(s.setTrialParam(t.trialId, 'y', 2, F)).rejects.toThrow(/finished/);
      expect(await s.getTrial(t.trialId)).toEqual(before);
      expect((await s.getAllTrials(study))[0]).toEqual(before);
      if (h.another) {
        const s2 = h.another();
        extra.push(s2);
        expect(await s2.getTrial(t.trialId)).toEqual(before);
      }
    });

    it('claims WAITING trials oldest first', async () => {
      const a = await s.createTrial(study, { state: TrialState.WAITING, params: { x: { internal: 1, distribution: F } } });
      await s.createTrial(study); // RUNNING, not claimable
      const b = await s.createTrial(study, { state: TrialState.WAITING, systemAttrs: { fixed: { x: 2 } } });
      const c1 = await s.claimWaitingTrial(study);
      expect(c1?.trialId).toBe(a.trialId);
      expect(c1?.state).toBe(TrialState.RUNNING);
      expect(c1?.datetimeStart).toBeInstanceOf(Date);
      expect(c1?.params).toEqual({ x: 1 });
      expect((await s.getTrial(a.trialId)).state).toBe(TrialState.RUNNING);
      const c2 = await s.claimWaitingTrial(study);
      expect(c2?.trialId).toBe(b.trialId);
      expect(c2?.systemAttrs).toEqual({ fixed: { x: 2 } });
      expect(await s.claimWaitingTrial(study)).toBeNull();
      // concurrent claims never hand the same trial out twice
      for (let i = 0; i < 5; i++) await s.createTrial(study, { state: TrialState.WAITING });
      const claims = await Promise.all(Array.from({ length: 8 }, () => s.claimWaitingTrial(study)));
      const got = claims.filter((c): c is FrozenTrial => c !== null).map((c) => c.number);
      expect(got).toHaveLength(5);
      expect(new Set(got).size).toBe(5);
    });

    it('getAllTrials orders by number, filters by state and reflects later writes', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) ids.push((await s.createTrial(study)).trialId);
      await s.setTrialState(ids[0]!, TrialState.COMPLETE, [0]);
      await s.setTrialState(ids[2]!, TrialState.PRUNED);
      await s.setTrialState(ids[3]!, TrialState.FAIL);
      await s.createTrial(study, { state: TrialState.WAITING });
      const all = await s.getAllTrials(study);
      expect(all.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect((await s.getAllTrials(study, [TrialState.COMPLETE])).map((t) => t.number)).toEqual([0]);
      expect((await s.getAllTrials(study, [TrialState.RUNNING])).map((t) => t.number)).toEqual([1, 4, 5]);
      expect((await s.getAllTrials(study, [TrialState.PRUNED, TrialState.FAIL])).map((t) => t.number)).toEqual([2, 3]);
      expect((await s.getAllTrials(study, [TrialState.WAITING])).map((t) => t.number)).toEqual([6]);
      expect(await s.getAllTrials(study, [])).toEqual([]);
      expect(await s.getNTrials(study)).toBe(7);
      expect(await s.getNTrials(study, [TrialState.RUNNING])).toBe(3);
      expect(await s.getNTrials(study, [TrialState.COMPLETE, TrialState.FAIL])).toBe(2);

      // the cache must follow later writes (ours, and another connection's)
      const old = all[1]!;
      await s.setTrialParam(ids[1]!, 'x', 3, F);
      await s.setTrialUserAttr(ids[1]!, 'k', 'v');
      await s.setTrialIntermediateValue(ids[1]!, 2, 9);
      let again = await s.getAllTrials(study);
      expect(again[1]!.params).toEqual({ x: 3 });
      expect(again[1]!.userAttrs).toEqual({ k: 'v' });
      expect(again[1]!.intermediateValues.get(2)).toBe(9);
      expect(old.params).toEqual({}); // an old snapshot never changes
      await s.setTrialState(ids[1]!, TrialState.COMPLETE, [7]);
      again = await s.getAllTrials(study, [TrialState.COMPLETE]);
      expect(again.map((t) => [t.number, t.values])).toEqual([
        [0, [0]],
        [1, [7]],
      ]);
      expect(await s.getNTrials(study, [TrialState.COMPLETE])).toBe(2);
      // mutating the returned array does not affect the storage
      again.length = 0;
      expect(await s.getNTrials(study, [TrialState.COMPLETE])).toBe(2);
      expect(await s.getAllTrials(study, [TrialState.COMPLETE])).toHaveLength(2);

      if (h.another) {
        const s2 = h.another();
        extra.push(s2);
        const id2 = await s2.getStudyIdFromName('trials');
        expect((await s2.getAllTrials(id2)).length).toBe(7);
        const t = await s2.createTrial(id2);
        await s2.setTrialParam(t.trialId, 'y', 1, C);
        await s2.setTrialParam(ids[4]!, 'x', -1, F);
        await s2.setTrialState(ids[5]!, TrialState.COMPLETE, [-3]);
        const seen = await s.getAllTrials(study);
        expect(seen).toHaveLength(8);
        expect(seen[7]!.params).toEqual({ y: 'adam' });
        expect(seen[4]!.params).toEqual({ x: -1 });
        expect(seen[5]!.values).toEqual([-3]);
        expect(await s.getNTrials(study, [TrialState.COMPLETE])).toBe(3);
        expect((await s.getTrial(ids[5]!)).state).toBe(TrialState.COMPLETE);
        const best = (await s.getAllStudies()).find((x) => x.studyId === study)!.bestTrial;
        expect(best?.number).toBe(5);
      }
    });

    it('state filters stay ordered by number whatever the order trials finish in', async () => {
      const ts: FrozenTrial[] = [];
      for (let i = 0; i < 12; i++) ts.push(await s.createTrial(study));
      const order = [7, 2, 11, 0, 5, 9, 3, 1, 10];
      for (const k of order) {
        const st = k % 3 === 0 ? TrialState.COMPLETE : k % 3 === 1 ? TrialState.PRUNED : TrialState.FAIL;
        await s.setTrialState(ts[k]!.trialId, st, st === TrialState.COMPLETE ? [k] : null);
        // interleave reads so that every storage's index is updated incrementally
        await s.getAllTrials(study, [TrialState.COMPLETE]);
      }
      const nums = async (states?: TrialState[]) => (await s.getAllTrials(study, states)).map((t) => t.number);
      expect(await nums([TrialState.COMPLETE])).toEqual([0, 3, 9]);
      expect(await nums([TrialState.PRUNED, TrialState.COMPLETE])).toEqual([0, 1, 3, 7, 9, 10]);
      expect(await nums([TrialState.FAIL])).toEqual([2, 5, 11]);
      expect(await nums([TrialState.RUNNING])).toEqual([4, 6, 8]);
      expect(await nums([TrialState.RUNNING, TrialState.FAIL, TrialState.FAIL])).toEqual([2, 4, 5, 6, 8, 11]);
      expect(await nums([TrialState.WAITING, TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL])).toEqual(
        Array.from({ length: 12 }, (_, i) => i),
      );
      expect(await s.getNTrials(study, [TrialState.RUNNING, TrialState.COMPLETE, TrialState.COMPLETE])).toBe(6);
      expect(await s.getNTrials(study, [])).toBe(0);
      if (h.another) {
        const s2 = h.another();
        extra.push(s2);
        expect((await s2.getAllTrials(study, [TrialState.PRUNED, TrialState.COMPLETE])).map((t) => t.number)).toEqual([0, 1, 3, 7, 9, 10]);
      }
    });

    it('checks params against their distribution and keeps one distribution per name', async () => {
      const t = await s.createTrial(study);
      await expect(s.setTrialParam(t.trialId, 'x', 11, F)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialParam(t.trialId, 'x', NaN, F)).rejects.toThrow(/NaN/);
      await expect(s.setTrialParam(t.trialId, 'n', 2.5, I)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialParam(t.trialId, 'c', 5, C)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialParam(t.trialId, 'c', 0.5, C)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialParam(t.trialId, 'c', 1, { type: 'categorical', choices: [] } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialParam(t.trialId, 'c', 1, { type: 'bogus' } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialParam(t.trialId, '', 1, F)).rejects.toBeInstanceOf(InvalidArgumentError);
      await s.setTrialParam(t.trialId, 'x', 1, F);
      await expect(s.setTrialParam(t.trialId, 'x', 1, I)).rejects.toBeInstanceOf(ParameterConflictError);
      await s.setTrialParam(t.trialId, 'x', 2, floatDistribution(-10, 10)); // equal distribution, new object: fine
      // a plain-object distribution is validated and accepted
      await s.setTrialParam(t.trialId, 'p', 3, { type: 'int', low: 0, high: 5, log: false, step: 1 });
      const r = await s.getTrial(t.trialId);
      expect(r.params).toEqual({ x: 2, p: 3 });
      expect(r.distributions['x']).toEqual(F);
    });

    it('rejects bad arguments with typed errors', async () => {
      await expect(s.createStudy('', ['minimize'])).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.createStudy(42 as never, ['minimize'])).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.createStudy('x', [])).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.createStudy('x', ['up' as never])).rejects.toThrow(/"up"/);
      await expect(s.getStudyName('1' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.getTrial(1.5)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.getAllTrials(study, ['DONE' as never])).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.createTrial(study, { state: TrialState.COMPLETE as never })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.createTrial(study, { params: { x: { internal: 99, distribution: F } } })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setStudyUserAttr(study, 'f', () => 1)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setStudyUserAttr(study, 'b', 10n)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setStudyUserAttr(study, 'n', { deep: [NaN] })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setStudyUserAttr(study, 'u', undefined)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setStudyUserAttr(study, '', 1)).rejects.toBeInstanceOf(InvalidArgumentError);
      const t = await s.createTrial(study);
      await expect(s.setTrialIntermediateValue(t.trialId, -1, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialIntermediateValue(t.trialId, 0.5, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialIntermediateValue(t.trialId, 0, NaN)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialIntermediateValue(t.trialId, 0, -Infinity)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.setTrialUserAttr(t.trialId, 'x', Symbol('s'))).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.failStaleTrials(study, -1)).rejects.toBeInstanceOf(InvalidArgumentError);
      // nothing of the above was stored
      expect(await s.getNTrials(study)).toBe(1);
      expect(await s.getStudyUserAttrs(study)).toEqual({});
      const r = await s.getTrial(t.trialId);
      expect(r.intermediateValues.size).toBe(0);
      expect(r.userAttrs).toEqual({});
    });

    it('failStaleTrials fails RUNNING trials without a recent heartbeat', async () => {
      if (h.clock === 'server') return staleOnServerClock();
      // Staleness is measured with Date; a clock of our own (timers stay real) makes the silences exact
      // instead of depending on how long the machine takes between two calls.
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        const t0 = Date.now();
        const beating = await s.createTrial(study);
        const silent = await s.createTrial(study);
        const done = await s.createTrial(study);
        await s.setTrialState(done.trialId, TrialState.COMPLETE, [1]);
        await s.createTrial(study, { state: TrialState.WAITING });
        await s.recordHeartbeat(beating.trialId);
        expect(await s.failStaleTrials(study, 60_000)).toEqual([]);
        vi.setSystemTime(t0 + 250);
        await s.recordHeartbeat(beating.trialId);
        const failed = await s.failStaleTrials(study, 150);
        expect(failed).toEqual([silent.number]);
        const r = await s.getTrial(silent.trialId);
        expect(r.state).toBe(TrialState.FAIL);
        expect(r.datetimeComplete).toEqual(new Date(t0 + 250));
        expect(typeof r.systemAttrs['failReason']).toBe('string');
        expect((await s.getTrial(beating.trialId)).state).toBe(TrialState.RUNNING);
        expect((await s.getTrial(done.trialId)).state).toBe(TrialState.COMPLETE);
        expect(await s.getNTrials(study, [TrialState.WAITING])).toBe(1);
        // the presumed-dead owner's later writes throw
        await expect(s.setTrialState(silent.trialId, TrialState.COMPLETE, [0])).rejects.toBeInstanceOf(TrialFinishedError);
        await expect(s.setTrialState(silent.trialId, TrialState.COMPLETE, [0])).rejects.toMatchObject({ code: 'ERR_TRIAL_FINISHED' });
        await expect(s.recordHeartbeat(silent.trialId)).rejects.toBeInstanceOf(TrialFinishedError);
        await expect(s.recordHeartbeat(silent.trialId)).rejects.toMatchObject({ code: 'ERR_TRIAL_FINISHED' });
        // a trial that beat long ago becomes stale too, once its silence is strictly longer than the limit
        vi.setSystemTime(t0 + 250 + 150);
        expect(await s.failStaleTrials(study, 150)).toEqual([]);
        vi.setSystemTime(t0 + 250 + 151);
        expect(await s.failStaleTrials(study, 150)).toEqual([beating.number]);
        expect(await s.failStaleTrials(study, 0)).toEqual([]);
      } finally {
        vi.useRealTimers();
      }
    });

    /** The same on a server's clock, which no test can stop: real waits, silences measured on the server. */
    async function staleOnServerClock(): Promise<void> {
      const beating = await s.createTrial(study);
      const silent = await s.createTrial(study);
      const done = await s.createTrial(study);
      await s.setTrialState(done.trialId, TrialState.COMPLETE, [1]);
      await s.createTrial(study, { state: TrialState.WAITING });
      await s.recordHeartbeat(beating.trialId);
      expect(await s.failStaleTrials(study, 60_000)).toEqual([]);
      await sleep(1000);
      await serverUpFor(700);  // a restart meanwhile (other suites restart the server) restarts every threshold
      await s.recordHeartbeat(beating.trialId);
      const failed = await s.failStaleTrials(study, 600);
      expect(failed).toEqual([silent.number]);
      const r = await s.getTrial(silent.trialId);
      expect(r.state).toBe(TrialState.FAIL);
      expect(r.datetimeComplete!.getTime() - silent.datetimeStart!.getTime()).toBeGreaterThan(600);
      expect(typeof r.systemAttrs['failReason']).toBe('string');
      expect((await s.getTrial(beating.trialId)).state).toBe(TrialState.RUNNING);
      expect((await s.getTrial(done.trialId)).state).toBe(TrialState.COMPLETE);
      expect(await s.getNTrials(study, [TrialState.WAITING])).toBe(1);
      // the presumed-dead owner's later writes throw
      await expect(s.setTrialState(silent.trialId, TrialState.COMPLETE, [0])).rejects.toBeInstanceOf(TrialFinishedError);
      await expect(s.setTrialState(silent.trialId, TrialState.COMPLETE, [0])).rejects.toMatchObject({ code: 'ERR_TRIAL_FINISHED' });
      await expect(s.recordHeartbeat(silent.trialId)).rejects.toBeInstanceOf(TrialFinishedError);
      // a trial that beat long ago becomes stale too, once silent longer than the limit
      expect(await s.failStaleTrials(study, 60_000)).toEqual([]);
      await sleep(1000);
      await serverUpFor(700);
      expect(await s.failStaleTrials(study, 600)).toEqual([beating.number]);
      expect(await s.failStaleTrials(study, 0)).toEqual([]);
    }

    describe('failStaleTrials with a retry policy', () => {
      const LIMIT = 600;
      const LOG = floatDistribution(1e-6, 1, true);
      const UNLIMITED = { maxRetry: null, inheritUserAttrs: true } as const;
      beforeEach(() => {
        if (h.clock !== 'server') vi.useFakeTimers({ toFake: ['Date'] });
      });
      afterEach(() => {
        vi.useRealTimers();
      });
      /** Every trial silent for longer than LIMIT: this process's (fake) clock moves on, or a real wait on a server's. */
      async function silence(): Promise<void> {
        if (h.clock === 'server') {
          await sleep(LIMIT + 400);
          await serverUpFor(LIMIT + 100);  // a restart meanwhile restarts every threshold
        } else {
          vi.setSystemTime(Date.now() + LIMIT + 1);
        }
      }
      /** A RUNNING trial with params of every kind (categorical, int, log float, float) and attributes. */
      async function runningWithParams(): Promise<FrozenTrial> {
        const t = await s.createTrial(study, { systemAttrs: { 'gp:params': { x: 0.5 } } });
        await s.setTrialParam(t.trialId, 'opt', 1, C);
        await s.setTrialParam(t.trialId, 'n', 37, I);
        await s.setTrialParam(t.trialId, 'lr', 3.0517578125e-5, LOG);
        await s.setTrialParam(t.trialId, 'nul', 0, C);
        await s.setTrialParam(t.trialId, 'x', -9.999999999999998, F);
        await s.setTrialUserAttr(t.trialId, 'owner', { worker: 'w1', tries: [1, 2] });
        return s.getTrial(t.trialId);
      }

      it('enqueues the retry of each trial it fails in the same call: its params as they are, its lineage, its user attrs, the next numbers', async () => {
        const dead = await runningWithParams();
        const bare = await s.createTrial(study);
        const queued = await s.createTrial(study, { state: TrialState.WAITING });
        await silence();
        const live = await s.createTrial(study);
        expect(await s.failStaleTrials(study, LIMIT, UNLIMITED)).toEqual([dead.number, bare.number]);
        const all = await s.getAllTrials(study);
        expect(all.map((t) => [t.number, t.state])).toEqual([
          [0, TrialState.FAIL],
          [1, TrialState.FAIL],
          [2, TrialState.WAITING],
          [3, TrialState.RUNNING],
          [4, TrialState.WAITING],
          [5, TrialState.WAITING],
        ]);
        const check = (r: FrozenTrial) => {
          expect(r.params).toEqual({ opt: 'adam', n: 37, lr: 3.0517578125e-5, nul: null, x: -9.999999999999998 });
          expect(r.internalParams).toEqual(dead.internalParams);
          expect(r.distributions).toEqual({ opt: C, n: I, lr: LOG, nul: C, x: F });
          expect(Object.keys(r.params)).toEqual(Object.keys(dead.params));
          expect(r.userAttrs).toEqual({ owner: { worker: 'w1', tries: [1, 2] } });
          expect(r.systemAttrs).toEqual({ retriedFrom: dead.number, retryHistory: [dead.number] });
        };
        const retry = all[4]!;
        check(retry);
        expect(retry.datetimeStart).toBeNull();
        expect(retry.values).toBeNull();
        expect(all[5]!.params).toEqual({});
        expect(all[5]!.systemAttrs).toEqual({ retriedFrom: bare.number, retryHistory: [bare.number] });
        if (h.another) {
          const s2 = h.another();
          extra.push(s2);
          check((await s2.getAllTrials(study))[4]!);
        }
        // claimed oldest first, with its params stored: what suggest* returns on the trial that runs it
        expect((await s.claimWaitingTrial(study))!.trialId).toBe(queued.trialId);
        const claimed = (await s.claimWaitingTrial(study))!;
        expect(claimed.trialId).toBe(retry.trialId);
        expect(claimed.state).toBe(TrialState.RUNNING);
        check(claimed);
        expect((await s.createTrial(study)).number).toBe(6);
        expect((await s.getTrial(live.trialId)).state).toBe(TrialState.RUNNING);
      });

      it('records the lineage; maxRetry bounds it; without a policy nothing is enqueued', async () => {
        const first = await s.createTrial(study);
        await s.setTrialParam(first.trialId, 'x', 1.5, F);
        await silence();
        expect(await s.failStaleTrials(study, LIMIT)).toEqual([0]);
        expect(await s.getNTrials(study)).toBe(1);
        const again = await s.createTrial(study);
        await silence();
        expect(await s.failStaleTrials(study, LIMIT, { maxRetry: 2, inheritUserAttrs: true })).toEqual([again.number]);
        const r1 = (await s.claimWaitingTrial(study))!;
        expect([r1.number, r1.systemAttrs]).toEqual([2, { retriedFrom: 1, retryHistory: [1] }]);
        await silence();
        expect(await s.failStaleTrials(study, LIMIT, { maxRetry: 2, inheritUserAttrs: true })).toEqual([2]);
        const r2 = (await s.claimWaitingTrial(study))!;
        expect([r2.number, r2.systemAttrs]).toEqual([3, { retriedFrom: 2, retryHistory: [1, 2] }]);
        await silence();
        // its lineage holds two retries: maxRetry 2 stops here
        expect(await s.failStaleTrials(study, LIMIT, { maxRetry: 2, inheritUserAttrs: true })).toEqual([3]);
        expect(await s.getNTrials(study)).toBe(4);
        expect(await s.getNTrials(study, [TrialState.WAITING])).toBe(0);
        // maxRetry 0 retries nothing; a lineage counts only its integers
        const odd = await s.createTrial(study, { systemAttrs: { retryHistory: [0, 'x', 1.5, 2, null] } });
        const none = await s.createTrial(study);
        await silence();
        expect(await s.failStaleTrials(study, LIMIT, { maxRetry: 0, inheritUserAttrs: true })).toEqual([odd.number, none.number]);
        expect(await s.getNTrials(study)).toBe(6);
        const odd2 = await s.createTrial(study, { systemAttrs: { retryHistory: [0, 'x', 1.5, 2, null] } });
        await silence();
        expect(await s.failStaleTrials(study, LIMIT, { maxRetry: 3, inheritUserAttrs: true })).toEqual([odd2.number]);
        expect((await s.getAllTrials(study))[7]!.systemAttrs).toEqual({ retriedFrom: odd2.number, retryHistory: [0, 2, odd2.number] });
        const odd3 = await s.createTrial(study, { systemAttrs: { retryHistory: [0, 'x', 1.5, 2, null] } });
        await silence();
        expect(await s.failStaleTrials(study, LIMIT, { maxRetry: 2, inheritUserAttrs: true })).toEqual([odd3.number]);
        expect(await s.getNTrials(study)).toBe(9);  // [0, 2]: two entries, not retried
      });

      it('inheritUserAttrs false leaves the user attributes behind', async () => {
        const dead = await runningWithParams();
        await silence();
        expect(await s.failStaleTrials(study, LIMIT, { maxRetry: null, inheritUserAttrs: false })).toEqual([dead.number]);
        const retry = (await s.getAllTrials(study))[1]!;
        expect(retry.userAttrs).toEqual({});
        expect(retry.internalParams).toEqual(dead.internalParams);
        expect(retry.systemAttrs).toEqual({ retriedFrom: 0, retryHistory: [0] });
      });

      it('handles sweeping at once retry each stale trial exactly once, numbers gap-free', async () => {
        for (let i = 0; i < 6; i++) await s.createTrial(study);
        await silence();
        const sweepers = [s, ...(h.another ? [h.another(), h.another()] : [])];
        extra.push(...sweepers.slice(1));
        // enqueueing meanwhile (WAITING: never stale) competes for the same numbers
        const enqueue = (x: Storage) => x.createTrial(study, { state: TrialState.WAITING });
        const results = await Promise.all(sweepers.flatMap((x) => [x.failStaleTrials(study, LIMIT, UNLIMITED), enqueue(x), x.failStaleTrials(study, LIMIT, UNLIMITED)]));
        const failed = results.filter((r): r is number[] => Array.isArray(r)).flat().sort((a, b) => a - b);
        expect(failed).toEqual([0, 1, 2, 3, 4, 5]);
        const all = await s.getAllTrials(study);
        expect(all.map((t) => t.number)).toEqual(Array.from({ length: all.length }, (_, i) => i));
        const retried = all.filter((t) => t.systemAttrs['retriedFrom'] !== undefined).map((t) => t.systemAttrs['retriedFrom'] as number);
        expect(retried.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
        expect(all).toHaveLength(12 + sweepers.length);
      });

      it('refuses a bad policy with typed errors naming it, changing nothing', async () => {
        const t = await s.createTrial(study);
        await silence();
        await expect(s.failStaleTrials(study, LIMIT, { maxRetry: -1, inheritUserAttrs: true })).rejects.toThrow(/retry\.maxRetry/);
        await expect(s.failStaleTrials(study, LIMIT, { maxRetry: 1.5, inheritUserAttrs: true })).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(s.failStaleTrials(study, LIMIT, { maxRetry: null } as never)).rejects.toThrow(/retry\.inheritUserAttrs/);
        await expect(s.failStaleTrials(study, LIMIT, null as never)).rejects.toThrow(/`retry`/);
        expect((await s.getTrial(t.trialId)).state).toBe(TrialState.RUNNING);
      });
    });
  });

  // ---------------------------------------------------------------------------------------------
  it('close() releases the storage; every later call throws StorageError', async () => {
    const id = await s.createStudy('c', ['minimize']);
    await s.close();
    await expect(s.createStudy('d', ['minimize'])).rejects.toBeInstanceOf(StorageError);
    await expect(s.getAllTrials(id)).rejects.toThrow(/closed/);
    await expect(s.getTrial(1)).rejects.toBeInstanceOf(StorageError);
    await expect(s.getAllStudies()).rejects.toBeInstanceOf(StorageError);
    await s.close(); // idempotent
    if (h.another) {
      const s2 = h.another();
      extra.push(s2);
      expect(await s2.getStudyIdFromName('c')).toBe(id); // data persisted
    }
  });
});
