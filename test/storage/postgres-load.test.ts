/**
 * PostgreSQL under load: 32 worker processes × 100 trials on one study, all started together (random
 * sampler, the 6-parameter async objective of bench/distributed/objective.ts, define-by-run so every
 * parameter is its own write). Afterwards the study holds exactly 3,200 trials numbered 0..3199 once
 * each, all COMPLETE, each value equal to the objective recomputed from the stored params, and every
 * trial a worker saw complete is stored as it saw it (bench/distributed/audit.ts).
 * Workers are TypeScript run through tsx (bench/distributed/chaos-worker.ts), so no build is needed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { audit } from '../../bench/distributed/audit.js';
import { spawnWorker, type WorkerProc } from '../../bench/distributed/fleet.js';
import { valueOf } from '../../bench/distributed/objective.js';
import { createStudy } from '../../src/study/index.js';
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';
import { describePg, dropSchema, freshSchema, schemaUrl } from '../pg.js';

const WORKERS = 32;
const PER_WORKER = 100;
const TOTAL = WORKERS * PER_WORKER;

/** A COMPLETE trial with the fields the audit reads, valued by the objective of its params. */
function trial(number: number, params: Record<string, string | number>, value = valueOf(params)): FrozenTrial {
  return { number, trialId: number + 1, state: TrialState.COMPLETE, values: [value], params, systemAttrs: {} } as unknown as FrozenTrial;
}

const P = { x0: 0.5, x1: -1, x2: 2, lr: 0.01, layers: 4, optimizer: 'sgd' };

describe('the load audit fails on a broken study', () => {
  const good = [trial(0, P), trial(1, { ...P, x0: 1.5 }), trial(2, { ...P, layers: 2 })];

  it('passes a sound one', () => {
    expect(audit(good, []).problems).toEqual([]);
  });

  it('reports a duplicated number, a gap, a wrong value, a RUNNING trial', () => {
    expect(audit([...good, trial(1, P)], []).problems.join('\n')).toMatch(/numbers stored twice: 1/);
    expect(audit([good[0]!, good[2]!], []).problems.join('\n')).toMatch(/missing from 0\.\.1: 1/);
    expect(audit([good[0]!, trial(1, P, 3)], []).problems.join('\n')).toMatch(/differs from the objective of its params: 1/);
    expect(audit([good[0]!, { ...good[1]!, state: TrialState.RUNNING }], []).problems.join('\n')).toMatch(/left unfinished: 1 RUNNING/);
  });

  it('reports a completion a worker saw that storage lost, and a trial two workers ran', () => {
    const w = (id: number, done: [number, number][], started: number[] = []) =>
      ({ id, started, done: new Map(done.map(([n, v]) => [n, { state: 'COMPLETE', value: v }])) }) as unknown as WorkerProc;
    expect(audit(good, [w(0, [[1, 999]])]).problems.join('\n')).toMatch(/not stored so: 1/);
    expect(audit(good, [w(0, [], [2]), w(1, [], [2])]).problems.join('\n')).toMatch(/run by two processes: 2/);
  });
});

describePg('PostgresStorage under load', () => {
  const schema = freshSchema();
  afterAll(() => dropSchema(schema));

  it(`${WORKERS} processes × ${PER_WORKER} trials started together: ${TOTAL} trials, numbers 0..${TOTAL - 1} once each, every value stored and right`, async () => {
    const storage = schemaUrl(schema);
    const study = await createStudy({ storage, studyName: 'load' });
    try {
      const t0 = Date.now();
      const workers = Array.from({ length: WORKERS }, (_, i) =>
        spawnWorker({ kind: 'script', storage, studyName: 'load', nTrials: PER_WORKER, heartbeatMs: 10_000, defineByRun: true, seed: i }));
      const exits = await Promise.all(workers.map((w) => w.exited));
      const seconds = (Date.now() - t0) / 1000;
      exits.forEach((e, i) => expect(e, `worker ${i}: ${workers[i]!.stderr.join('\n')}`).toEqual({ code: 0, signal: null }));
      for (const w of workers) expect([...w.done.values()].filter((d) => d.state === 'COMPLETE')).toHaveLength(PER_WORKER);

      const trials = await study.storage.getAllTrials(study.studyId);
      const report = audit(trials, workers);
      expect(report.problems).toEqual([]);
      expect(trials.map((t) => t.number)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
      expect(report.complete).toBe(TOTAL);
      expect(await study.storage.getNTrials(study.studyId, [TrialState.COMPLETE])).toBe(TOTAL);
      process.stderr.write(`postgres load: ${TOTAL} trials from ${WORKERS} processes in ${seconds.toFixed(1)} s (${(TOTAL / seconds).toFixed(0)} trials/s)\n`);
    } finally {
      await study.storage.close();
    }
  }, 300_000);
});
