/**
 * SQLite-specific behaviour beyond the shared contract: cross-connection cache invalidation and the cost
 * of reading a long history once per trial.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { floatDistribution } from '../../src/distributions/index.js';
import { NotFoundError } from '../../src/errors.js';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { TrialState } from '../../src/study/types.js';

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
      await expect(a.getAllTrials(id)).rejects.toBeInstanceOf(NotFoundError);
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

  it('reads a 1500-trial history once per trial cheaply (only new rows are read)', async () => {
    const s = new SqliteStorage(file);
    try {
      const id = await s.createStudy('long', ['minimize']);
      const d = floatDistribution(0, 1);
      const life = async (i: number) => {
        const t = await s.createTrial(id);
        await s.getAllTrials(id, [TrialState.COMPLETE]);
        for (let j = 0; j < 6; j++) await s.setTrialParam(t.trialId, `x${j}`, ((i * 7 + j) % 100) / 100, d);
        await s.setTrialState(t.trialId, TrialState.COMPLETE, [i]);
      };
      for (let i = 0; i < 1500; i++) await life(i);
      const n = 200;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await life(1500 + i);
      const perTrial = (performance.now() - t0) / n;
      const g0 = performance.now();
      for (let i = 0; i < n; i++) await s.getAllTrials(id);
      const perRead = (performance.now() - g0) / n;
      console.log(`sqlite: ${perTrial.toFixed(3)} ms per trial life cycle at 1500+ trials, ${perRead.toFixed(3)} ms per unchanged getAllTrials`);
      // Generous bounds (CI machines vary): an O(all) re-read of 1700 trials × 6 params would take far longer.
      expect(perTrial).toBeLessThan(5);
      expect(perRead).toBeLessThan(1);
      const all = await s.getAllTrials(id);
      expect(all).toHaveLength(1700);
      expect(all[1234]!.values).toEqual([1234]);
    } finally {
      await s.close();
    }
  }, 60_000);
});
