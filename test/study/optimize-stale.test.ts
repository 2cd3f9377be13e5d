/**
 * optimize() goes on when a trial is failed as stale by another worker while ask() is still storing its
 * proposal (a long proposal on a loaded machine): that trial is over, the loop is not.
 */
import { describe, expect, it } from 'vitest';
import { createStudy, floatDistribution, MemoryStorage, RandomSampler, TrialState, type Storage } from '../../src/index.js';

describe('a trial failed under ask()', () => {
  it('is reported in a warning; optimize runs the rest of its trials and resolves', async () => {
    const base = new MemoryStorage();
    let first = true;
    const storage = Object.assign(Object.create(base) as Storage, {
      // As another worker's failStaleTrials does: the trial is failed before its first parameter is stored.
      setTrialParam: async (...args: Parameters<Storage['setTrialParam']>) => {
        if (first) {
          first = false;
          await base.setTrialState(args[0], TrialState.FAIL);
        }
        return base.setTrialParam(...args);
      },
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const study = await createStudy({ storage, sampler: new RandomSampler({ seed: 1 }) });
      await study.optimize((t) => t.params['x'] as number, { nTrials: 5, searchSpace: { x: floatDistribution(0, 1) } });
      expect(study.trials.map((t) => t.state)).toEqual([
        TrialState.FAIL, TrialState.COMPLETE, TrialState.COMPLETE, TrialState.COMPLETE, TrialState.COMPLETE,
      ]);
      await new Promise((r) => setImmediate(r));
      expect(warnings.join('\n')).toMatch(/finished by another worker before ask\(\) handed it out/);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
