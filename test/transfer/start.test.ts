import { describe, expect, it } from 'vitest';
import { floatDistribution, intDistribution, categoricalDistribution } from '../../src/distributions/index.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { createStudy, RandomSampler, type Study } from '../../src/index.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import type { StudyJSON, TrialJSON } from '../../src/trial/json.js';
import { claimStartTrial, enqueueFromSources, loadSources, startConfigurations } from '../../src/transfer/index.js';
import { TrialState } from '../../src/trial/index.js';

/** A minimised StudyJSON whose trial i holds x = xs[i] with value values[i]. */
function json(name: string, xs: number[], values: number[]): StudyJSON {
  const trials: TrialJSON[] = xs.map((x, number) => ({
    trialId: number, number, state: 'COMPLETE', values: [values[number]!], params: { x }, internalParams: {}, distributions: {},
    userAttrs: {}, systemAttrs: {}, intermediate: [], start: null, complete: null,
  }));
  return { studyId: 0, name, directions: ['minimize'], userAttrs: {}, trials };
}

const space = { x: floatDistribution(0, 1) };

async function target(): Promise<Study> {
  return createStudy({ sampler: new RandomSampler({ seed: 0 }) });
}

describe('soft enqueued parameters', () => {
  it('samples a soft value the distribution does not contain; a hard one still throws', async () => {
    const study = await target();
    const soft = await study.enqueueTrial({ x: 7, k: 3, c: 'z' }, { skipInvalid: true });
    expect(soft.systemAttrs).toEqual({ fixedParams: { x: 7, k: 3, c: 'z' }, fixedParamsSoft: true });
    const t = await study.ask();
    const x = t.suggestFloat('x', 0, 1);
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThanOrEqual(1);
    expect(t.suggestInt('k', 0, 5)).toBe(3);  // contained: taken as is
    expect(['a', 'b']).toContain(t.suggestCategorical('c', ['a', 'b']));
    await study.tell(t, x);

    const hard = await study.enqueueTrial({ x: 7 });
    expect(hard.systemAttrs).toEqual({ fixedParams: { x: 7 } });
    const h = await study.ask();
    expect(() => h.suggestFloat('x', 0, 1)).toThrow('Expected a value of {"type":"float","low":0,"high":1,"log":false,"step":null} for `enqueued parameter "x"` but received 7');
    expect(await study.enqueueTrial({ x: 7 }, { skipInvalid: false })).toMatchObject({ systemAttrs: { fixedParams: { x: 7 } } });
    await expect(study.enqueueTrial({ x: 1 }, { skipInvalid: 'yes' as never })).rejects.toThrow('Expected a boolean for `skipInvalid` but received "yes"');
  });

  it('soft values also apply to distributions given to ask()', async () => {
    const study = await target();
    await study.enqueueTrial({ n: 200, c: 'b' }, { skipInvalid: true });
    const t = await study.ask({ n: intDistribution(1, 100), c: categoricalDistribution(['a', 'b']) });
    expect(t.params['c']).toBe('b');
    expect(t.params['n']).toBeLessThanOrEqual(100);
  });
});

describe('enqueueFromSources', () => {
  it('enqueues the best n distinct configurations as soft trials, skipping tried and waiting ones', async () => {
    const study = await target();
    await study.enqueueTrial({ x: 0.3 });  // waiting
    const done = await study.ask(space);
    await study.tell(done, 1);
    const tried = done.params['x'];
    const a = json('a', [0.1, 0.3, 0.5, tried as number], [5, 1, 3, 0]);
    const b = json('b', [0.9, 0.8], [2, 1]);
    // a ranks x = tried, 0.3, 0.5, 0.1; b ranks 0.8, 0.9. Tried and waiting ones are skipped.
    expect(await enqueueFromSources(study, [a, b], { n: 3 })).toBe(3);
    const waiting = await study.getTrials({ states: [TrialState.WAITING] });
    expect(waiting.map((t) => t.systemAttrs)).toEqual([
      { fixedParams: { x: 0.5 }, fixedParamsSoft: true, 'transfer:source': 'a' },
      { fixedParams: { x: 0.8 }, fixedParamsSoft: true, 'transfer:source': 'b' },
      { fixedParams: { x: 0.1 }, fixedParamsSoft: true, 'transfer:source': 'a' },
    ]);
    // Everything left is tried or waiting now.
    expect(await enqueueFromSources(study, [a], { n: 5 })).toBe(0);
  });

  it('validates its arguments', async () => {
    const study = await target();
    await expect(enqueueFromSources(study, 'x')).rejects.toThrow(
      'Expected an array of transfer sources (Study, StudyJSON or { storage, studyName }) for `sources` but received "x"',
    );
    await expect(enqueueFromSources(study, [], { n: -1 })).rejects.toThrow('Expected an integer >= 0 for `n` but received -1');
    await expect(enqueueFromSources(study, [], { m: 1 } as never)).rejects.toThrow(InvalidArgumentError);
    expect(await enqueueFromSources(study, [json('e', [0.5], [1])])).toBe(1);  // default n = 5, one available
  });
});

describe('claimStartTrial', () => {
  it('hands each start configuration to one trial across handles, then null', async () => {
    const storage = new MemoryStorage();
    const s1 = await createStudy({ studyName: 't', storage });
    const configs = startConfigurations(await loadSources([json('a', [0.1, 0.2, 0.3], [3, 2, 1])]), 3);
    const claims = await Promise.all([claimStartTrial(s1, configs), claimStartTrial(s1, configs), claimStartTrial(s1, configs), claimStartTrial(s1, configs)]);
    expect(claims.filter((c) => c !== null).map((c) => (c!['fixedParams'] as { x: number }).x).sort()).toEqual([0.1, 0.2, 0.3]);
    expect(claims.filter((c) => c === null)).toHaveLength(1);
    expect(claims[0]).toEqual({ fixedParams: { x: 0.3 }, fixedParamsSoft: true, 'transfer:source': 'a' });
  });

  it('passes over configurations already tried and those `skip` refuses', async () => {
    const study = await target();
    await study.enqueueTrial({ x: 0.3 });
    const configs = startConfigurations(await loadSources([json('a', [0.1, 0.2, 0.3], [3, 2, 1]), json('b', [0.7], [1])]), 4);
    expect(configs.map((c) => c.params['x'])).toEqual([0.3, 0.7, 0.2, 0.1]);
    const first = await claimStartTrial(study, configs, (c) => c.source === 'b');
    expect(first).toMatchObject({ fixedParams: { x: 0.2 } });
    expect(await study.storage.getStudySystemAttrs(study.studyId)).toMatchObject({
      'transfer:start:0': { source: 'a', params: { x: 0.3 } },
      'transfer:start:1': { source: 'b', params: { x: 0.7 } },
      'transfer:start:2': { source: 'a', params: { x: 0.2 } },
    });
    expect(await claimStartTrial(study, [])).toBeNull();
  });
});
