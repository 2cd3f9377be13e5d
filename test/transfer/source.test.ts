import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  categoricalDistribution,
  floatDistribution,
  intDistribution,
  type Distribution,
  type ParamValue,
} from '../../src/distributions/index.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { createStudy } from '../../src/index.js';
import { Encoding } from '../../src/samplers/gp/encode.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import type { StudyDirection } from '../../src/trial/index.js';
import type { StudyJSON, TrialJSON } from '../../src/trial/json.js';
import { bestConfigurations, loadSources, mapSource, startConfigurations, type LoadedSource } from '../../src/transfer/index.js';
import { tempDir } from '../helpers.js';

afterEach(() => vi.restoreAllMocks());

/** A StudyJSON whose trials hold `rows` (params, value), all COMPLETE unless the value is null. */
function json(name: string, direction: StudyDirection, rows: [Record<string, ParamValue>, number | null][]): StudyJSON {
  const trials: TrialJSON[] = rows.map(([params, value], number) => ({
    trialId: number,
    number,
    state: value === null ? 'FAIL' : 'COMPLETE',
    values: value === null ? null : [value],
    params,
    internalParams: {},
    distributions: {},
    userAttrs: {},
    systemAttrs: {},
    intermediate: [],
    start: null,
    complete: null,
  }));
  return { studyId: 0, name, directions: [direction], userAttrs: {}, trials };
}

async function loadOne(src: unknown): Promise<LoadedSource> {
  return (await loadSources([src]))[0]!;
}

/** Rows of X, rounded for comparison. */
function rows(X: Float64Array, d: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < X.length / d; i++) out.push(Array.from(X.subarray(i * d, i * d + d), (v) => Math.round(v * 1e9) / 1e9));
  return out;
}

describe('loadSources', () => {
  it('keeps COMPLETE trials with a finite single value from a StudyJSON, in number order', async () => {
    const s = await loadOne(json('a', 'minimize', [[{ x: 1 }, 3], [{ x: 2 }, null], [{ x: 3 }, 1]]));
    expect(s.name).toBe('a');
    expect(s.direction).toBe('minimize');
    expect(s.trials.map((t) => t.params['x'])).toEqual([1, 3]);
  });

  it('reads a loaded Study (COMPLETE trials only)', async () => {
    const study = await createStudy({ studyName: 'live', direction: 'maximize' });
    const space = { x: floatDistribution(0, 1) };
    for (const [x, v] of [[0.2, 1], [0.4, 2]] as const) {
      await study.enqueueTrial({ x });
      await study.tell(await study.ask(space), v);
    }
    await study.tell(await study.ask(space), 'FAIL');
    await study.ask(space);  // RUNNING
    const s = await loadOne(study);
    expect([s.name, s.direction, s.trials.map((t) => t.values![0])]).toEqual(['live', 'maximize', [1, 2]]);
  });

  it('opens a storage URL (SQLite file), reads the study and closes the storage', async () => {
    const url = `sqlite:${join(tempDir('tunable-transfer-'), 'src.db')}`;
    const study = await createStudy({ studyName: 'on-disk', storage: url });
    await study.enqueueTrial({ x: 0.5 });
    await study.tell(await study.ask({ x: floatDistribution(0, 1) }), 4);
    await study.storage.close();
    const close = vi.spyOn(SqliteStorage.prototype, 'close');
    const s = await loadOne({ storage: url, studyName: 'on-disk' });
    expect(s.trials.map((t) => [t.params['x'], t.values![0]])).toEqual([[0.5, 4]]);
    expect(close).toHaveBeenCalledTimes(1);
    // An unknown study in a URL storage: an error naming it, and the storage still closed.
    await expect(loadSources([{ storage: url, studyName: 'nope' }])).rejects.toThrow(
      'Expected the name of a study in the storage for `transferFrom[0].studyName` but received "nope"',
    );
    expect(close).toHaveBeenCalledTimes(2);
  });

  it('leaves a Storage instance open', async () => {
    const storage = new MemoryStorage();
    const study = await createStudy({ studyName: 'mem', storage });
    await study.enqueueTrial({ x: 0.5 });
    await study.tell(await study.ask({ x: floatDistribution(0, 1) }), 4);
    const close = vi.spyOn(storage, 'close');
    expect((await loadOne({ storage, studyName: 'mem' })).trials).toHaveLength(1);
    expect(close).not.toHaveBeenCalled();
  });

  it('rejects bad sources with errors naming the entry and the value', async () => {
    const multi = await createStudy({ studyName: 'mo', directions: ['minimize', 'maximize'] });
    const cases: [unknown, string][] = [
      [{}, 'Expected an array of transfer sources (Study, StudyJSON or { storage, studyName }) for `transferFrom` but received an object (Object)'],
      [[42], 'Expected a Study, a StudyJSON or { storage, studyName } for `transferFrom[0]` but received 42'],
      [[json('a', 'minimize', []), null], 'Expected a Study, a StudyJSON or { storage, studyName } for `transferFrom[1]` but received null'],
      [[multi], 'Expected a single-objective study for `transferFrom[0]` but received study "mo" with 2 objectives'],
      [[{ storage: 'sqlite:', studyName: 'x' }], 'transferFrom[0].storage: Expected a file path after "sqlite:" for `storage` but received "sqlite:"'],
      [[{ storage: 3, studyName: 'x' }], 'Expected a storage URL or a Storage instance for `transferFrom[0].storage` but received 3'],
      [[{ storage: 'memory:', studyName: '' }], 'Expected a non-empty string for `transferFrom[0].studyName` but received ""'],
      [[{ storage: 'memory:', studyName: 'none' }], 'Expected the name of a study in the storage for `transferFrom[0].studyName` but received "none"'],
    ];
    for (const [value, message] of cases) {
      const err = await loadSources(value).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toBe(message);
    }
    await expect(loadSources(7, 'sources')).rejects.toThrow(/for `sources` but received 7$/);
  });
});

describe('mapSource', () => {
  const enc = (space: Record<string, Distribution>): Encoding => new Encoding(space);

  it('maps float values through the target range (a value outside it drops the trial)', async () => {
    const src = await loadOne(json('s', 'minimize', [[{ x: 2 }, 1], [{ x: 7 }, 2], [{ x: 5 }, 3]]));
    const m = mapSource(src, enc({ x: floatDistribution(0, 5) }))!;
    expect(m.dims).toEqual([0]);
    expect(rows(m.X, 1)).toEqual([[0.4], [1]]);
    expect(m.params).toEqual([{ x: 2 }, { x: 5 }]);
  });

  it('maps log-scaled targets on the log scale', async () => {
    const src = await loadOne(json('s', 'minimize', [[{ lr: 1e-2 }, 1], [{ lr: 1 }, 2], [{ lr: 1e-5 }, 3]]));
    const m = mapSource(src, enc({ lr: floatDistribution(1e-4, 1, true) }))!;
    expect(rows(m.X, 1)).toEqual([[0.5], [1]]);
  });

  it('snaps numbers to the target grid (int steps, stepped floats)', async () => {
    const src = await loadOne(json('s', 'minimize', [[{ k: 3, q: 0.3 }, 1], [{ k: 10, q: 0.9 }, 2], [{ k: 2.2, q: 0 }, 3]]));
    const m = mapSource(src, enc({ k: intDistribution(0, 10, false, 2), q: floatDistribution(0, 1, false, 0.25) }))!;
    // k: cells of width 2 over [-1, 11]; q: cells of width 0.25 over [-0.125, 1.125].
    expect(m.params).toEqual([{ k: 4, q: 0.25 }, { k: 10, q: 1 }, { k: 2, q: 0 }]);
    expect(rows(m.X, 2)).toEqual([[5 / 12, 0.3], [11 / 12, 0.9], [3 / 12, 0.1]].map((r) => r.map((v) => Math.round(v * 1e9) / 1e9)));
  });

  it('maps categoricals by choice value (a choice the target lacks drops the trial)', async () => {
    const src = await loadOne(json('s', 'minimize', [[{ c: 'c' }, 1], [{ c: 'b' }, 2], [{ c: 'a' }, 3], [{ c: 1 }, 4]]));
    const m = mapSource(src, enc({ c: categoricalDistribution(['c', 'a', 1]) }))!;
    expect(rows(m.X, 1)).toEqual([[0], [0.5], [1]]);
    expect(m.params).toEqual([{ c: 'c' }, { c: 'a' }, { c: 1 }]);
  });

  it('takes the target columns the source holds in at least half its trials; ignores source-only parameters', async () => {
    const src = await loadOne(
      json('s', 'minimize', [
        [{ x: 0.1, y: 0.5, w: 1 }, 1],
        [{ x: 0.2, w: 2 }, 2],
        [{ x: 0.3, y: 0.25, w: 3 }, 3],
        [{ x: 0.4, w: 4 }, 4],
        [{ y: 0.75, w: 5 }, 5],
      ]),
    );
    const unit = floatDistribution(0, 1);
    // x in 4 of 5 trials, y in 3 of 5, z in none: columns x (0) and y (2); trials lacking x or y dropped.
    const m = mapSource(src, enc({ x: unit, z: unit, y: unit }))!;
    expect(m.dims).toEqual([0, 2]);
    expect(rows(m.X, 2)).toEqual([[0.1, 0.5], [0.3, 0.25]]);
    expect(m.y).toEqual([-1, -3]);
    // A parameter held by fewer than half: not a column, and its trials are kept.
    const sparse = await loadOne(json('t', 'minimize', [[{ x: 0.1, y: 0.2 }, 1], [{ x: 0.2 }, 2], [{ x: 0.3 }, 3]]));
    expect(mapSource(sparse, enc({ x: unit, y: unit }))!.dims).toEqual([0]);
  });

  it('orients values by the source direction: larger is better', async () => {
    const rowsIn: [Record<string, ParamValue>, number][] = [[{ x: 0.1 }, 1], [{ x: 0.2 }, -2]];
    const e = enc({ x: floatDistribution(0, 1) });
    expect(mapSource(await loadOne(json('min', 'minimize', rowsIn)), e)!.y).toEqual([-1, 2]);
    expect(mapSource(await loadOne(json('max', 'maximize', rowsIn)), e)!.y).toEqual([1, -2]);
  });

  it('is null when no column is shared or fewer than 2 trials remain', async () => {
    const e = enc({ x: floatDistribution(0, 1) });
    expect(mapSource(await loadOne(json('s', 'minimize', [[{ y: 0.1 }, 1], [{ y: 0.2 }, 2]])), e)).toBeNull();
    expect(mapSource(await loadOne(json('s', 'minimize', [[{ x: 0.1 }, 1], [{ x: 2 }, 2]])), e)).toBeNull();
    expect(mapSource(await loadOne(json('s', 'minimize', [])), e)).toBeNull();
  });
});

describe('bestConfigurations', () => {
  it('takes the best of each source in turn, deduplicated against each other and `exclude`', async () => {
    const [a, b] = await loadSources([
      json('a', 'minimize', [[{ x: 1, y: 1 }, 3], [{ x: 2, y: 2 }, 1], [{ x: 3, y: 3 }, 2], [{ x: 4, y: 4 }, 9]]),
      json('b', 'maximize', [[{ x: 2, z: 7 }, 10], [{ x: 5, z: 8 }, 5], [{ x: 6, z: 9 }, 1]]),
    ]);
    // a ranks x = 2, 3, 1, 4; b ranks x = 2 (a duplicate of a's best on x), 5, 6.
    expect(bestConfigurations([a!, b!], 10)).toEqual([
      { x: 2, y: 2 }, { x: 5, z: 8 }, { x: 3, y: 3 }, { x: 6, z: 9 }, { x: 1, y: 1 }, { x: 4, y: 4 },
    ]);
    expect(bestConfigurations([a!, b!], 3)).toEqual([{ x: 2, y: 2 }, { x: 5, z: 8 }, { x: 3, y: 3 }]);
    // A tried configuration holding only the target's parameter x = 3 excludes a's {x: 3, y: 3} too.
    expect(bestConfigurations([a!, b!], 3, [{ x: 3 }, { x: 5 }])).toEqual([{ x: 2, y: 2 }, { x: 6, z: 9 }, { x: 1, y: 1 }]);
    // Configurations that differ on a shared parameter are distinct.
    expect(bestConfigurations([a!, b!], 2, [{ x: 5, z: 0 }])).toEqual([{ x: 2, y: 2 }, { x: 5, z: 8 }]);
    expect(bestConfigurations([a!, b!], 0)).toEqual([]);
    expect(bestConfigurations([], 4)).toEqual([]);
    expect(startConfigurations([a!, b!], 2).map((c) => c.source)).toEqual(['a', 'b']);
  });
});
