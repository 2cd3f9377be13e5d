/**
 * Heartbeats across processes: a live trial survives another process's failStaleTrials, also while its
 * objective blocks the event loop (defect 11); a dead one does not; a worker whose trial was failed
 * under it goes on without rejecting.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStudy, loadStudy, RandomSampler, SqliteStorage, TrialState } from '../../src/index.js';
import { spawnTs, tempDir } from '../helpers.js';

const CHECKER = join(import.meta.dirname, 'fixtures', 'stale-checker.ts');
const WORKER = join(import.meta.dirname, 'fixtures', 'worker.ts');
const CLOSER = join(import.meta.dirname, 'fixtures', 'close-after-optimize.ts');

/** A child running `file`; `done` resolves to everything it printed. */
function run(file: string, args: string[]) {
  const c = spawnTs(file, args);
  return { ...c, done: c.done.then(() => c.output()) };
}

/** Blocks this thread (the event loop included) for `ms`, without spinning. */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('heartbeats on SQLite', () => {
  it('a synchronous objective that blocks the event loop for 15 intervals keeps its trial alive', async () => {
    const url = `sqlite:${join(tempDir(), 'hb.db')}`;
    const study = await createStudy({ storage: url, studyName: 'hb', sampler: new RandomSampler(), heartbeatIntervalMs: 100 });
    // The checker fails anything silent for 600 ms, for 2.5 s: the objective below holds this thread
    // for 1.5 s, so only beats from elsewhere keep its trial alive.
    const checker = run(CHECKER, [url, 'hb', '600', '2500']);
    await study.optimize((t) => {
      t.suggestFloat('x', 0, 1);
      blockFor(1500);
      return 1;
    }, { nTrials: 1 });
    const out = await checker.done;
    expect(out).toMatch(/running/);
    expect(out).toMatch(/failed \[\]/);
    expect(study.trials.map((t) => t.state)).toEqual([TrialState.COMPLETE]);
  });

  it('a live async trial survives; the trial of a killed worker is failed as stale', async () => {
    const url = `sqlite:${join(tempDir(), 'hb2.db')}`;
    await createStudy({ storage: url, studyName: 'hb2' });
    const worker = run(WORKER, [url, 'hb2', '100', 'hang-after-0']);  // heartbeatIntervalMs 100, hangs in trial 0
    await worker.waitFor(/running 0/);
    const study = await loadStudy({ storage: url, studyName: 'hb2' });
    await new Promise((r) => setTimeout(r, 1000));  // 10 intervals: alive, it beats
    expect(await study.failStaleTrials({ olderThanMs: 500 })).toEqual([]);
    worker.kill();
    await worker.done;
    await new Promise((r) => setTimeout(r, 1000));
    expect(await study.failStaleTrials({ olderThanMs: 500 })).toEqual([0]);
    expect(study.trials[0]!.systemAttrs['failReason']).toMatch(/no heartbeat/);
  });

  it('a script whose last step is `await storage.close()` after optimize gets there and exits 0', async () => {
    const c = spawnTs(CLOSER, [`sqlite:${join(tempDir(), 'close.db')}`]);
    const code = await c.done;
    const out = c.output();
    expect({ code, out }).toEqual({ code: 0, out: 'closed\n' });
  });

  it('a worker whose trial was failed under it records nothing for it, warns, and goes on', async () => {
    const path = join(tempDir(), 'late.db');
    const study = await createStudy({ storage: `sqlite:${path}`, studyName: 'late', sampler: new RandomSampler() });
    const other = new SqliteStorage(path);  // another process's view
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      await study.optimize(async (t) => {
        t.suggestFloat('x', 0, 1);
        // As failStaleTrials in another process does once this trial's beats stop (say the machine was
        // suspended): the trial is finished under its worker.
        if (t.number === 1) await other.setTrialState(t.trialId, TrialState.FAIL);
        await new Promise((r) => setTimeout(r, 5));
        return t.number;
      }, { nTrials: 3 });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
      await other.close();
    }
    expect(study.trials.map((t) => t.state)).toEqual([TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE]);
    expect(warnings.join('\n')).toMatch(/Trial 1 of study "late" was finished by another worker.*its result \(1\) was not recorded/);
  });
});
