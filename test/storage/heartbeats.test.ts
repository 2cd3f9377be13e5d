/**
 * Heartbeats over every storage: `storage.startHeartbeats` where the storage has it (SQLite files: a
 * worker thread), else the timer fallback the optimize loop uses.
 */
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage, SqliteStorage, TrialState, type Storage } from '../../src/index.js';
import type { Heartbeats } from '../../src/storage/base.js';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { timerHeartbeats } from '../../src/storage/timer-heartbeat.js';
import { tempDir } from '../helpers.js';
import { dropSchema, freshSchema, pgEnabled, schemaUrl } from '../pg.js';
import { serverUpFor } from './pg-uptime.js';

const dir = tempDir();
let n = 0;
const storages: [string, () => Storage][] = [
  ['memory', () => new MemoryStorage()],
  ['sqlite file', () => new SqliteStorage(join(dir, `hb${n++}.db`))],
  ['sqlite :memory:', () => new SqliteStorage(':memory:')],
];
const schemas: string[] = [];
if (pgEnabled) {
  storages.push(['postgresql', () => {
    const schema = freshSchema();
    schemas.push(schema);
    return new PostgresStorage(schemaUrl(schema));
  }]);
}
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(storages)('heartbeats on %s', (name, make) => {
  let open: { storage: Storage; beats: Heartbeats }[] = [];
  afterEach(async () => {
    for (const o of open) {
      await o.beats.close();
      await o.storage.close();
    }
    open = [];
  });
  /**
   * On PostgreSQL, silence counts from the server's start at the earliest: after a restart by another
   * suite, the server must have been up longer than the threshold for a silent trial to be stale.
   */
  async function settled(): Promise<void> {
    if (name === 'postgresql') await serverUpFor(600);
  }
  async function setup() {
    const storage = make();
    const beats = storage.startHeartbeats?.(50) ?? timerHeartbeats(storage, 50);
    open.push({ storage, beats });
    const studyId = await storage.createStudy('s', ['minimize']);
    return { storage, beats, studyId };
  }

  it('a trial that beats is not stale; once removed it goes stale', async () => {
    const { storage, beats, studyId } = await setup();
    const a = await storage.createTrial(studyId);
    const b = await storage.createTrial(studyId);
    beats.add(a.trialId);
    await sleep(1000);  // 20 intervals: b never beat, a beat throughout
    await settled();
    expect(await storage.failStaleTrials(studyId, 500)).toEqual([b.number]);
    beats.remove(a.trialId);
    await sleep(1000);
    await settled();
    expect(await storage.failStaleTrials(studyId, 500)).toEqual([a.number]);
    expect((await storage.getTrial(a.trialId)).state).toBe(TrialState.FAIL);
  });

  it('a trial finished while it beats stays finished; close is idempotent and stops every beat', async () => {
    const { storage, beats, studyId } = await setup();
    const a = await storage.createTrial(studyId);
    beats.add(a.trialId);
    await storage.setTrialState(a.trialId, TrialState.COMPLETE, [1]);
    await sleep(150);
    expect((await storage.getTrial(a.trialId)).state).toBe(TrialState.COMPLETE);
    const c = await storage.createTrial(studyId);
    beats.add(c.trialId);
    await beats.close();
    await beats.close();
    beats.add(c.trialId);  // after close: ignored, no throw
    await sleep(1000);
    await settled();
    expect(await storage.failStaleTrials(studyId, 500)).toEqual([c.number]);
  });
});
