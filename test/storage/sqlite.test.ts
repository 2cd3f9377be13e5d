/**
 * SQLite-specific behaviour beyond the shared contract: cross-connection cache invalidation, and reading
 * a long history once per trial without re-reading it (rows read are counted; the time it takes is
 * bench/'s business).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { floatDistribution } from '../../src/distributions/index.js';
import { NotFoundError } from '../../src/errors.js';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { TrialState } from '../../src/trial/index.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunable-sqlite-'));
  file = join(dir, 's.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteStorage caches', () => {
  it('forgets trials of a study deleted by another connection', async () => {
    const a = new SqliteStorage(file);
    const b = new SqliteStorage(file);
    try {
      const id = await a.createStudy('s', ['minimize']);
      const t = await a.createTrial(id);
      await a.setTrialState(t.trialId, TrialState.COMPLETE, [1]);
      expect((await a.getTrial(t.trialId)).state).toBe(TrialState.COMPLETE);
      expect(await a.getAllTrials(id)).toHaveLength(1);
      await b.deleteStudy(await b.getStudyIdFromName('s'));
      await expect(a.getTrial(t.trialId)).rejects.toBeInstanceOf(NotFoundError);
      await expect(a.getTrial(t.trialId)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      await expect(a.getAllTrials(id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(a.getAllTrials(id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      const again = await b.createStudy('s', ['minimize']);
      expect(await a.getAllTrials(again)).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('sees a running trial change made by another connection through getTrial', async () => {
    const a = new SqliteStorage(file);
    const b = new SqliteStorage(file);
    try {
      const id = await a.createStudy('s', ['minimize']);
      const t = await a.createTrial(id);
      expect((await a.getTrial(t.trialId)).params).toEqual({});
      await b.setTrialParam(t.trialId, 'x', 0.5, floatDistribution(0, 1));
      expect((await a.getTrial(t.trialId)).params).toEqual({ x: 0.5 });
      await b.setTrialState(t.trialId, TrialState.PRUNED);
      expect((await a.getTrial(t.trialId)).state).toBe(TrialState.PRUNED);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reads only the rows changed since its last read: a trial costs the same at 500 trials as at 10', async () => {
    // The storage reads trial rows through Statement#all (one-row probes use #get): count the rows returned.
    const probe = new Database(':memory:');
    const statement = Object.getPrototypeOf(probe.prepare('SELECT 1')) as { all: (this: unknown, ...a: unknown[]) => unknown[] };
    probe.close();
    const original = statement.all;
    let rows = 0;
    const all = vi.spyOn(statement, 'all').mockImplementation(function (this: unknown, ...a: unknown[]) {
      const r = original.apply(this, a);
      rows += r.length;
      return r;
    });
    const s = new SqliteStorage(file);
    try {
      const d = floatDistribution(0, 1);
      const life = async (id: number, i: number): Promise<void> => {
        const t = await s.createTrial(id);
        await s.getAllTrials(id, [TrialState.COMPLETE]);
        for (let j = 0; j < 6; j++) await s.setTrialParam(t.trialId, `x${j}`, ((i * 7 + j) % 100) / 100, d);
        await s.setTrialState(t.trialId, TrialState.COMPLETE, [i]);
      };
      /** Rows read by 20 more trial life cycles on a study of `history` trials. */
      const rowsPer20 = async (name: string, history: number): Promise<number> => {
        const id = await s.createStudy(name, ['minimize']);
        for (let i = 0; i < history; i++) await life(id, i);
        const before = rows;
        for (let i = 0; i < 20; i++) await life(id, history + i);
        return rows - before;
      };
      const short = await rowsPer20('short', 10);
      const long = await rowsPer20('long', 500);
      expect(short).toBeGreaterThan(0);
      expect(long).toBe(short); // O(changed): re-reading the history would add ~500 × 8 rows per trial
      const id = await s.getStudyIdFromName('long');
      // The first read after the last trial finished reads that trial (8 rows); later ones find nothing new
      // with their MAX(seq) probe and read no rows.
      let before = rows;
      await s.getAllTrials(id);
      expect(rows - before).toBe(8);
      before = rows;
      for (let i = 0; i < 20; i++) await s.getAllTrials(id);
      expect(rows).toBe(before);
      // A connection without the cache reads everything once, so the counter does see full reads.
      const cold = new SqliteStorage(file);
      try {
        const fresh = rows;
        expect(await cold.getAllTrials(id)).toEqual(await s.getAllTrials(id));
        expect(rows - fresh).toBeGreaterThanOrEqual(520 * 8); // each trial row, its value and 6 params
      } finally {
        await cold.close();
      }
      const trials = await s.getAllTrials(id);
      expect(trials).toHaveLength(520);
      expect(trials[345]!.values).toEqual([345]);
      expect(trials[345]!.params['x5']).toBe(((345 * 7 + 5) % 100) / 100);
    } finally {
      await s.close();
      all.mockRestore();
    }
  });
});
