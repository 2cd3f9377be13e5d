import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStudy, TrialState } from '../../src/index.js';
import { spawnTs, tempDir } from '../helpers.js';

const WORKER = join(import.meta.dirname, 'fixtures', 'worker.ts');

const startWorker = (args: string[]) => spawnTs(WORKER, args);

describe('several processes on one SQLite study', () => {
  it('4 processes × 50 trials: 200 distinct numbers, every value stored', async () => {
    const url = `sqlite:${join(tempDir(), 'shared.db')}`;
    const workers = Array.from({ length: 4 }, () => startWorker([url, 'shared', '50']));
    const codes = await Promise.all(workers.map((w) => w.done));
    expect(codes, workers.map((w) => w.output()).join('\n')).toEqual([0, 0, 0, 0]);
    const study = await loadStudy({ studyName: 'shared', storage: url });
    const trials = study.trials;
    expect(trials).toHaveLength(200);
    expect(trials.map((t) => t.number).sort((a, b) => a - b)).toEqual([...Array(200).keys()]);
    for (const t of trials) {
      expect(t.state).toBe(TrialState.COMPLETE);
      const x = t.params['x'] as number;
      const y = t.params['y'] as number;
      expect(t.values).toEqual([x * x + y]);
    }
  });

  it('a process killed mid-trial leaves its completed trials intact; the stale trial is failed on reload', async () => {
    const url = `sqlite:${join(tempDir(), 'crash.db')}`;
    const w = startWorker([url, 'crash', '100', 'hang-after-7']);
    await w.waitFor(/running 7/);
    w.kill();
    await w.done;
    const study = await loadStudy({ studyName: 'crash', storage: url, heartbeatIntervalMs: 100 });
    expect(study.trials).toHaveLength(8);
    expect(study.trials.slice(0, 7).every((t) => t.state === TrialState.COMPLETE)).toBe(true);
    expect(study.trials[7]!.state).toBe(TrialState.RUNNING);
    await new Promise((r) => setTimeout(r, 300)); // > 2 heartbeat intervals of silence
    expect(await study.failStaleTrials()).toEqual([7]);
    expect(study.trials[7]!.state).toBe(TrialState.FAIL);
    expect(study.trials[7]!.systemAttrs['failReason']).toMatch(/heartbeat|stale/i);
    // and the study resumes
    await study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 3 });
    expect(study.trials).toHaveLength(11);
    expect(study.trials.filter((t) => t.state === TrialState.COMPLETE)).toHaveLength(10);
  });
});
