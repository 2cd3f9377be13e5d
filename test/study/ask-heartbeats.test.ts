/**
 * Heartbeats for trials handed out by ask() (not only optimize), the stale-trial sweep every ask()
 * runs, RetryFailedTrial's lineage, and optimize's `signal` and `searchSpace` options.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createStudy,
  floatDistribution,
  loadStudy,
  MemoryStorage,
  RandomSampler,
  RetryFailedTrial,
  retryHistory,
  SqliteStorage,
  TrialState,
  type FrozenTrial,
  type Sampler,
  type Storage,
} from '../../src/index.js';
import type { Heartbeats, StaleRetry } from '../../src/storage/base.js';
import { spawnTs, tempDir } from '../helpers.js';

const BLOCKER = join(import.meta.dirname, 'fixtures', 'ask-and-block.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A memory storage that reports which trials are beating and counts stale sweeps. */
function spyStorage(): { storage: Storage; beating: Set<number>; sweeps: () => number } {
  const base = new MemoryStorage();
  const beating = new Set<number>();
  let sweeps = 0;
  const storage = Object.create(base) as Storage;
  Object.assign(storage, {
    startHeartbeats: (): Heartbeats => ({
      add: (id) => void beating.add(id),
      remove: (id) => void beating.delete(id),
      close: async () => beating.clear(),
    }),
    failStaleTrials: (studyId: number, ms: number, retry?: StaleRetry) => {
      sweeps++;
      return base.failStaleTrials(studyId, ms, retry);
    },
  });
  return { storage, beating, sweeps: () => sweeps };
}

describe('heartbeats of asked trials', () => {
  it('a trial beats from ask() until tell(), also when the tell fails it', async () => {
    const { storage, beating } = spyStorage();
    const study = await createStudy({ storage, sampler: new RandomSampler({ seed: 1 }) });
    const a = await study.ask();
    const b = await study.ask();
    expect([...beating].sort()).toEqual([a.trialId, b.trialId].sort());
    await study.tell(a, 1);
    expect([...beating]).toEqual([b.trialId]);
    await study.tell(b, 'FAIL');
    expect(beating.size).toBe(0);
  });

  it('a trial that ask() could not hand out stops beating', async () => {
    const { storage, beating } = spyStorage();
    const broken: Sampler = {
      inferRelativeSearchSpace: async () => ({ x: floatDistribution(0, 1) }),
      sampleRelative: async () => {
        throw new Error('sampler broke');
      },
      sampleIndependent: () => 0,
    };
    const study = await createStudy({ storage, sampler: broken });
    await expect(study.ask()).rejects.toThrow(/sampler broke/);
    expect(beating.size).toBe(0);
    expect((await study.getTrials())[0]!.state).toBe(TrialState.FAIL);
  });

  it('a worker blocked after ask() keeps its trial alive; once killed, the next ask() fails it and RetryFailedTrial re-enqueues it', async () => {
    const url = `sqlite:${join(tempDir(), 'ask-hb.db')}`;
    const study = await createStudy({
      storage: url,
      studyName: 'ask-hb',
      sampler: new RandomSampler({ seed: 2 }),
      heartbeatIntervalMs: 100,
      failedTrialCallback: new RetryFailedTrial({ maxRetry: 1 }),
    });
    const worker = spawnTs(BLOCKER, [url, 'ask-hb', '100']);
    try {
      await worker.waitFor(/asked 0/);
      await sleep(1000);  // ten intervals with the worker's event loop blocked: its thread beats
      expect(await study.failStaleTrials({ olderThanMs: 400 })).toEqual([]);
    } finally {
      worker.kill();
      await worker.done;
    }
    await sleep(500);
    // ask() sweeps first (beats from a thread: SQLite file), failing trial 0 and enqueueing its retry…
    const retry = await study.ask();
    const original = (await study.getTrials())[0]!;
    expect(original.state).toBe(TrialState.FAIL);
    expect(original.systemAttrs['failReason']).toMatch(/heartbeat/);
    // …which this very ask() takes: the same parameters, its lineage recorded.
    expect(retry.number).toBe(1);
    expect(retry.suggestFloat('x', -5, 5)).toBe(original.params['x']);
    expect(retry.suggestCategorical('opt', ['adam', 'sgd'])).toBe(original.params['opt']);
    await study.tell(retry, 3);
    const stored = (await study.getTrials())[1]!;
    expect(stored.systemAttrs['retriedFrom']).toBe(0);
    expect(retryHistory(stored)).toEqual([0]);
    expect(stored.userAttrs['owner']).toBe('blocked worker');
  });

  it('maxRetry bounds a lineage: a retry that goes stale again is not retried with maxRetry 1; without a limit it is', async () => {
    const storage = new MemoryStorage();
    const study = await createStudy({ storage, studyName: 'lineage', failedTrialCallback: new RetryFailedTrial({ maxRetry: 1 }), sampler: new RandomSampler() });
    const dead = await study.ask();
    const x = dead.suggestFloat('x', 0, 1);
    await dead.flush();
    await sleep(30);
    expect(await study.failStaleTrials({ olderThanMs: 10 })).toEqual([dead.number]);
    const retry = await study.ask();  // the enqueued retry, which dies too
    expect(retry.suggestFloat('x', 0, 1)).toBe(x);
    await sleep(30);
    expect(await study.failStaleTrials({ olderThanMs: 10 })).toEqual([retry.number]);
    const states = (await study.getTrials()).map((t) => t.state);
    expect(states).toEqual([TrialState.FAIL, TrialState.FAIL]);  // no WAITING third trial
    // A handle with an unlimited policy retries a retry: its storage call enqueues it, the callback adds nothing.
    const unlimited = await loadStudy({ storage, studyName: 'lineage', failedTrialCallback: new RetryFailedTrial(), sampler: new RandomSampler() });
    await study.ask();  // trial 2, which dies; the maxRetry 1 sweep retries it as 3
    await sleep(30);
    expect(await study.failStaleTrials({ olderThanMs: 10 })).toEqual([2]);
    const again = await study.ask();
    expect(again.number).toBe(3);
    await sleep(30);
    expect(await unlimited.failStaleTrials({ olderThanMs: 10 })).toEqual([3]);
    const fifth = (await unlimited.getTrials())[4]!;
    expect([fifth.state, fifth.systemAttrs['retriedFrom'], retryHistory(fifth)]).toEqual([TrialState.WAITING, 3, [2, 3]]);
    expect(await storage.getNTrials(unlimited.studyId)).toBe(5);
  });

  it('the retry is enqueued by the storage call that fails the trial, before any callback runs', async () => {
    const storage = new MemoryStorage();
    const seen: number[] = [];
    const callback = new RetryFailedTrial({ maxRetry: 3, inheritUserAttrs: false });
    expect(callback.retry).toEqual({ maxRetry: 3, inheritUserAttrs: false });
    const study = await createStudy({
      storage,
      sampler: new RandomSampler(),
      failedTrialCallback: {
        retry: callback.retry,
        onStaleTrial: async (_view, trial) => {
          seen.push(trial.number);
          // already there when the callback runs: the storage made it with the fail
          expect((await storage.getAllTrials(study.studyId, [TrialState.WAITING])).map((t) => t.systemAttrs['retriedFrom'])).toEqual([trial.number]);
        },
      },
    });
    const dead = await study.ask();
    dead.setUserAttr('owner', 'w');
    await dead.flush();
    await sleep(30);
    expect(await study.failStaleTrials({ olderThanMs: 10 })).toEqual([0]);
    expect(seen).toEqual([0]);
    // RetryFailedTrial's own callback enqueues nothing more
    await callback.onStaleTrial(study, (await study.getTrials())[0]!);
    const trials = await study.getTrials();
    expect(trials.map((t) => [t.number, t.state])).toEqual([[0, TrialState.FAIL], [1, TrialState.WAITING]]);
    expect(trials[1]!.userAttrs).toEqual({});
  });

  it('ask() sweeps at most once per heartbeat interval, and only storages that beat from a thread', async () => {
    const { storage, sweeps } = spyStorage();
    const study = await createStudy({ storage, sampler: new RandomSampler(), heartbeatIntervalMs: 200 });
    for (let i = 0; i < 5; i++) await study.tell(await study.ask(), i);
    expect(sweeps()).toBe(1);
    await sleep(250);
    await study.tell(await study.ask(), 5);
    expect(sweeps()).toBe(2);
    const memory = new MemoryStorage();
    let memorySweeps = 0;
    const plain = Object.assign(Object.create(memory) as Storage, {
      failStaleTrials: (id: number, ms: number, retry?: StaleRetry) => (memorySweeps++, memory.failStaleTrials(id, ms, retry)),
    });
    const s2 = await createStudy({ storage: plain, sampler: new RandomSampler() });
    await s2.tell(await s2.ask(), 1);
    expect(memorySweeps).toBe(0);
  });

  it('bad options are refused, naming them', async () => {
    await expect(createStudy({ failedTrialCallback: (() => 1) as never })).rejects.toThrow(/failedTrialCallback/);
    expect(() => new RetryFailedTrial({ maxRetry: -1 })).toThrow(/maxRetry/);
    expect(() => new RetryFailedTrial({ maxRetry: 1.5 })).toThrow(/maxRetry/);
    expect(() => new RetryFailedTrial({ maxRtry: 1 } as never)).toThrow(/maxRtry/);
    await expect(loadStudy({ studyName: 'x', failedTrialCallback: { onStaleTrial: 3 } as never })).rejects.toThrow(/failedTrialCallback/);
    const badPolicy = { onStaleTrial: async () => undefined, retry: { maxRetry: -2, inheritUserAttrs: true } };
    await expect(createStudy({ failedTrialCallback: badPolicy })).rejects.toThrow(/maxRetry/);
  });
});

describe('optimize: signal and searchSpace', () => {
  it('an abort starts no new trial and lets the running objective finish within the grace period', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 3 }) });
    const ac = new AbortController();
    let calls = 0;
    await study.optimize(async (t) => {
      calls++;
      const x = t.suggestFloat('x', 0, 1);
      if (calls === 3) {
        ac.abort('SIGTERM');
        await sleep(100);
      }
      return x;
    }, { nTrials: 50, signal: ac.signal, gracePeriod: 5 });
    expect(calls).toBe(3);
    expect(study.trials.map((t) => t.state)).toEqual([TrialState.COMPLETE, TrialState.COMPLETE, TrialState.COMPLETE]);
  });

  it('an objective still running gracePeriod after the abort has its trial failed with the signal reason', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 4 }) });
    const ac = new AbortController();
    const began = Date.now();
    await study.optimize(async () => {
      setTimeout(() => ac.abort('worker received SIGTERM; the objective did not finish within the grace period (0.2 s)'), 50);
      await new Promise(() => undefined);  // never settles
      return 0;
    }, { nTrials: 5, concurrency: 2, signal: ac.signal, gracePeriod: 0.2 });
    expect(Date.now() - began).toBeLessThan(3000);
    expect(study.trials).toHaveLength(2);
    for (const t of study.trials) {
      expect(t.state).toBe(TrialState.FAIL);
      expect(t.systemAttrs['failReason']).toBe('worker received SIGTERM; the objective did not finish within the grace period (0.2 s)');
    }
  });

  it('an already aborted signal runs nothing; a bad signal or searchSpace is refused', async () => {
    const study = await createStudy();
    const ac = new AbortController();
    ac.abort();
    await study.optimize(() => 1, { nTrials: 3, signal: ac.signal });
    expect(study.trials).toHaveLength(0);
    await expect(study.optimize(() => 1, { nTrials: 1, signal: {} as never })).rejects.toThrow(/signal/);
    await expect(study.optimize(() => 1, { nTrials: 1, searchSpace: { x: { type: 'float', low: 1, high: 0 } } as never })).rejects.toThrow(/searchSpace\.x/);
    await expect(study.optimize(() => 1, { nTrials: 1, searchSpace: [] as never })).rejects.toThrow(/searchSpace/);
    expect(study.trials).toHaveLength(0);
  });

  it('a signal alone bounds the loop; a timeout beyond setTimeout\'s 24.8 days does not give up at once', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 6 }) });
    const ac = new AbortController();
    await study.optimize(async (t) => {
      if (t.number === 4) ac.abort();
      await sleep(20);
      return t.number;
    }, { signal: ac.signal });
    expect(study.trials.map((t) => t.state)).toEqual(Array(5).fill(TrialState.COMPLETE));
    await study.optimize(async () => {
      await sleep(20);
      return 1;
    }, { nTrials: 2, timeout: 40 * 86_400, gracePeriod: 0 });
    expect(study.trials.slice(5).map((t) => t.state)).toEqual([TrialState.COMPLETE, TrialState.COMPLETE]);
    await expect(study.optimize(() => 1)).rejects.toThrow(/nTrials`, `timeout` or `signal/);
  });

  it('searchSpace parameters are stored before the objective runs', async () => {
    const storage = new MemoryStorage();
    const study = await createStudy({ storage, sampler: new RandomSampler({ seed: 5 }) });
    const seen: FrozenTrial[] = [];
    await study.optimize(async (t) => {
      seen.push(await storage.getTrial(t.trialId));
      return (t.params['lr'] as number) + t.suggestFloat('lr', 1e-4, 1, { log: true });
    }, { nTrials: 3, searchSpace: { lr: floatDistribution(1e-4, 1, true) } });
    expect(seen.map((t) => Object.keys(t.params))).toEqual([['lr'], ['lr'], ['lr']]);
    expect(study.trials.every((t) => t.state === TrialState.COMPLETE && t.values![0] === 2 * (t.params['lr'] as number))).toBe(true);
  });
});

describe('the sample lock', () => {
  /** A sampler whose sampleRelative takes a while and records how many run at once. */
  function slowSampler(usesPending: boolean) {
    let running = 0;
    let most = 0;
    const sampler: Sampler = {
      usesPending,
      inferRelativeSearchSpace: async () => ({ x: floatDistribution(0, 1) }),
      sampleRelative: async () => {
        most = Math.max(most, ++running);
        await sleep(20);
        running--;
        return { x: Math.random() };
      },
      sampleIndependent: () => 0.5,
    };
    return { sampler, most: () => most };
  }

  it('pending-aware samplers propose one at a time, across Study handles on one storage; others at once', async () => {
    const storage = new MemoryStorage();
    const aware = slowSampler(true);
    const first = await createStudy({ storage, studyName: 'lock', sampler: aware.sampler });
    const second = await loadStudy({ storage, studyName: 'lock', sampler: aware.sampler });
    await Promise.all([first, second, first, second, first].map((s) => s.ask()));
    expect(aware.most()).toBe(1);
    const plain = slowSampler(false);
    const third = await createStudy({ storage, studyName: 'nolock', sampler: plain.sampler });
    await Promise.all([third.ask(), third.ask(), third.ask()]);
    expect(plain.most()).toBeGreaterThan(1);
  });

  it('a proposal that throws releases the lock', async () => {
    const storage = new MemoryStorage();
    let n = 0;
    const sampler: Sampler = {
      usesPending: true,
      inferRelativeSearchSpace: async () => ({ x: floatDistribution(0, 1) }),
      sampleRelative: async () => {
        if (n++ === 0) throw new Error('first proposal fails');
        return { x: 0.25 };
      },
      sampleIndependent: () => 0.5,
    };
    const study = await createStudy({ storage, sampler });
    await expect(study.ask()).rejects.toThrow(/first proposal fails/);
    const t = await study.ask();
    expect(t.suggestFloat('x', 0, 1)).toBe(0.25);
  });
});
