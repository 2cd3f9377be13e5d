/**
 * A trial's queued parameters reach the storage in one setTrialParams call where the storage has it
 * (one round trip to a server instead of one per parameter), and one by one where it does not.
 */
import { describe, expect, it } from 'vitest';
import { createStudy, MemoryStorage, RandomSampler, type Storage } from '../../src/index.js';

function counting(withBatch: boolean): { storage: Storage; calls: string[] } {
  const base = new MemoryStorage();
  const calls: string[] = [];
  const storage = Object.create(base) as Storage;
  Object.assign(storage, {
    setTrialParam: (...a: Parameters<Storage['setTrialParam']>) => (calls.push(`param ${a[1]}`), base.setTrialParam(...a)),
    setTrialParams: withBatch
      ? (id: number, ps: Parameters<NonNullable<Storage['setTrialParams']>>[1]) => (calls.push(`params ${ps.map((p) => p.name).join(',')}`), base.setTrialParams(id, ps))
      : undefined,
    setTrialUserAttr: (...a: Parameters<Storage['setTrialUserAttr']>) => (calls.push(`attr ${a[1]}`), base.setTrialUserAttr(...a)),
  });
  return { storage, calls };
}

const objective = (t: import('../../src/index.js').Trial) => {
  let s = 0;
  for (let i = 0; i < 3; i++) s += t.suggestFloat(`x${i}`, -1, 1);
  t.setUserAttr('note', 'between');
  return s + t.suggestInt('n', 0, 3);
};

describe('trial writes', () => {
  it('parameters queued together go in one call; other writes keep their place in the order', async () => {
    const { storage, calls } = counting(true);
    const study = await createStudy({ storage, sampler: new RandomSampler({ seed: 1 }) });
    await study.optimize(objective, { nTrials: 1 });
    // The queue drains after the objective's synchronous part: x0..x2 together, then the attribute, then n.
    expect(calls).toEqual(['params x0,x1,x2', 'attr note', 'param n']);
    expect(Object.keys(study.trials[0]!.params)).toEqual(['x0', 'x1', 'x2', 'n']);
  });

  it('a storage without setTrialParams gets one call per parameter', async () => {
    const { storage, calls } = counting(false);
    const study = await createStudy({ storage, sampler: new RandomSampler({ seed: 1 }) });
    await study.optimize(objective, { nTrials: 1 });
    expect(calls).toEqual(['param x0', 'param x1', 'param x2', 'attr note', 'param n']);
  });
});
