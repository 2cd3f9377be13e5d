import { describe, expect, it } from 'vitest';
import { createStudy, engine, GPSampler, TPESampler } from '../../src/index.js';

describe('default sampler', () => {
  it('is the GPSampler for one objective when the native engine loads, TPE otherwise', async () => {
    const single = await createStudy();
    expect(single.sampler).toBeInstanceOf(engine.backends().length > 0 ? GPSampler : TPESampler);
    const multi = await createStudy({ directions: ['minimize', 'maximize'] });
    expect(multi.sampler).toBeInstanceOf(TPESampler);
  });

  it('optimizes with the default sampler end to end', async () => {
    const study = await createStudy();
    await study.optimize((t) => (t.suggestFloat('x', -3, 3) - 1) ** 2 + (t.suggestInt('n', 0, 4) - 2) ** 2, { nTrials: 25 });
    expect(study.trials).toHaveLength(25);
    expect(study.bestValue).toBeLessThan(0.5);
  });
});
