/** Each learner's search space: prefixed names, sensible ranges, and configs its own fit accepts. */
import { describe, expect, it } from 'vitest';
import { LEARNERS } from '../../src/automl/learners/index.js';
import { createStudy } from '../../src/study/study.js';
import { RandomSampler } from '../../src/samplers/random.js';

describe.each(LEARNERS.map((l) => [l.name, l] as const))('%s space', (name, l) => {
  it('suggests prefixed parameters whose config the learner accepts', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 1 }) });
    for (let t = 0; t < 20; t++) {
      const trial = await study.ask();
      const config = l.space(trial, `${name}.x`);
      expect(Object.keys(trial.params).every((k) => k.startsWith(`${name}.x.`))).toBe(true);
      expect(Object.keys(trial.params).map((k) => k.slice(name.length + 3)).sort()).toEqual(Object.keys(config).sort());
      // Every suggested key is one the defaults know (so fit's unknown-key check passes).
      for (const k of Object.keys(config)) expect(Object.keys(l.defaults('binary'))).toContain(k);
    }
    const trial = await study.ask();
    l.space(trial);
    expect(Object.keys(trial.params).every((k) => k.startsWith(`${l.name}.`))).toBe(true);
  });

  it('uses log scales for rates and regularisation', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 2 }) });
    const trial = await study.ask();
    l.space(trial);
    for (const [k, dist] of Object.entries(trial.distributions)) {
      if (/\.(C|learningRate|k|units)$/.test(k)) expect((dist as { log?: boolean }).log, k).toBe(true);
    }
  });
});
