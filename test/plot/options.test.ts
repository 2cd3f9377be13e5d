/** The chart builders' data (not pixels) against seeded synthetic studies. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnknownOptionError } from '../../src/errors.js';
import {
  CONTOUR_GRID, INTERMEDIATE_MAX_CURVES, INTERMEDIATE_MAX_POINTS, PARALLEL_KEEP_BEST, PARALLEL_MAX_LINES, contourOption, historyOption,
  importanceOption, intermediateOption, parallelOption, paretoOption, sliceOption,
} from '../../src/plot/options/index.js';
import type { StudyJSON } from '../../src/trial/json.js';
import { thrown } from '../helpers.js';
import { synthetic } from './study.js';

type Series = { id?: string; name?: string; type?: string; data: unknown[]; lineStyle?: { type?: string } };

function series(option: object, id: string): Series {
  const s = (option as { series: Series[] }).series.find((x) => x.id === id);
  if (s === undefined) throw new Error(`no series ${id}`);
  return s;
}

function seriesIds(option: object): string[] {
  return (option as { series: Series[] }).series.map((s) => s.id!);
}

const complete = (s: StudyJSON) => s.trials.filter((t) => t.state === 'COMPLETE');

describe('historyOption', () => {
  const study = synthetic({ n: 60, prunedEvery: 5 });

  it('holds every COMPLETE trial as [number, value] and the best so far (minimize)', () => {
    const o = historyOption(study);
    const done = complete(study);
    expect(series(o, 'values').data).toEqual(done.map((t) => [t.number, t.values![0]]));
    let best = Infinity;
    const expected = done.map((t) => [t.number, (best = Math.min(best, t.values![0]!))]);
    expect(series(o, 'best').data).toEqual(expected);
    expect(series(o, 'best').data.length).toBe(48);
  });

  it('tracks the maximum for a maximized objective, and names objectives of a multi-objective study', () => {
    const s = synthetic({ n: 40, directions: ['minimize', 'maximize'] });
    const o = historyOption(s, { objective: 1 });
    let best = -Infinity;
    expect(series(o, 'best').data).toEqual(s.trials.map((t) => [t.number, (best = Math.max(best, t.values![1]!))]));
    expect(series(o, 'values').name).toBe('Objective 1');
    expect((o.yAxis as { name: string }).name).toBe('Objective 1');
  });

  it('draws a log axis for positive values and refuses it for a non-positive one', () => {
    expect((historyOption(study, { log: true }).yAxis as { type: string }).type).toBe('log');
    const s = synthetic({ n: 30, offset: -3 });
    const bad = s.trials.find((t) => t.values![0]! <= 0)!;
    const e = thrown(() => historyOption(s, { log: true }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toBe(
      `Expected positive values for \`log\` (a log axis cannot show zero or negative values) but trial ${bad.number} has Objective value ${bad.values![0]}`,
    );
  });

  it('refuses an objective index out of range and a misspelled option', () => {
    expect((thrown(() => historyOption(study, { objective: 1 })) as Error).message).toBe('Expected an integer in [0, 0] for `objective` but received 1');
    expect(thrown(() => historyOption(study, { logg: true } as never))).toBeInstanceOf(UnknownOptionError);
  });

  it('returns an empty chart that says why for a study without complete trials', () => {
    const s: StudyJSON = { ...study, trials: study.trials.filter((t) => t.state !== 'COMPLETE') };
    const o = historyOption(s) as { series: unknown[]; title: { subtext: string } };
    expect(o.series).toEqual([]);
    expect(o.title.subtext).toBe('Study synthetic — no complete trials yet');
  });
});

describe('parallelOption', () => {
  const study = synthetic({ n: 50, prunedEvery: 10 });

  it('draws one line per COMPLETE trial over the params and the objective, with category and log axes', () => {
    const o = parallelOption(study) as unknown as { parallelAxis: { name: string; type: string; data?: string[] }[] };
    expect(o.parallelAxis.map((a) => [a.name, a.type])).toEqual([
      ['layers', 'value'], ['lr', 'log'], ['opt', 'category'], ['x', 'value'], ['Objective value', 'value'],
    ]);
    expect(o.parallelAxis[2]!.data).toEqual(['adam', 'sgd', 'rmsprop']);
    const lines = series(o, 'lines').data as { name: string; value: number[] }[];
    const done = complete(study);
    expect(lines).toHaveLength(done.length);
    for (const t of done) {
      const line = lines.find((l) => l.name === `Trial ${t.number}`)!;
      expect(line.value).toEqual([t.params['layers'], t.params['lr'], ['adam', 'sgd', 'rmsprop'].indexOf(t.params['opt'] as string), t.params['x'], t.values![0]]);
    }
  });

  it('takes the params asked for, in that order, and refuses an unknown one', () => {
    const o = parallelOption(study, { params: ['x', 'lr'] }) as unknown as { parallelAxis: { name: string }[] };
    expect(o.parallelAxis.map((a) => a.name)).toEqual(['x', 'lr', 'Objective value']);
    expect((thrown(() => parallelOption(study, { params: ['x', 'nope'] })) as Error).message).toBe(
      'Expected a parameter of study "synthetic" ("layers", "lr", "opt", "x") for `params[1]` but received "nope"',
    );
  });

  it(`caps a large study at ${PARALLEL_MAX_LINES} lines keeping the ${PARALLEL_KEEP_BEST} best`, () => {
    const big = synthetic({ n: 8000, seed: 3 });
    const lines = series(parallelOption(big), 'lines').data as { name: string }[];
    expect(lines).toHaveLength(PARALLEL_MAX_LINES);
    const best = [...big.trials].sort((a, b) => a.values![0]! - b.values![0]!).slice(0, PARALLEL_KEEP_BEST);
    const shown = new Set(lines.map((l) => l.name));
    for (const t of best) expect(shown.has(`Trial ${t.number}`)).toBe(true);
    // The same data give the same sample.
    expect(series(parallelOption(big), 'lines').data).toEqual(lines);
  });
});

describe('sliceOption', () => {
  const study = synthetic({ n: 40 });

  it('holds [param, value, number] per COMPLETE trial; log and category axes', () => {
    const o = sliceOption(study, { param: 'lr' });
    expect(series(o, 'points').data).toEqual(study.trials.map((t) => [t.params['lr'], t.values![0], t.number]));
    expect((o.xAxis as { type: string }).type).toBe('log');
    const c = sliceOption(study, { param: 'opt' });
    expect(c.xAxis).toMatchObject({ type: 'category', data: ['adam', 'sgd', 'rmsprop'] });
    expect((series(c, 'points').data as number[][]).map((p) => p[0])).toEqual(study.trials.map((t) => ['adam', 'sgd', 'rmsprop'].indexOf(t.params['opt'] as string)));
  });

  it('refuses an unknown param', () => {
    expect((thrown(() => sliceOption(study, { param: 'lrr' })) as Error).message).toBe(
      'Expected a parameter of study "synthetic" ("layers", "lr", "opt", "x") for `param` but received "lrr"',
    );
  });
});

describe('contourOption', () => {
  const study = synthetic({ n: 120, seed: 5 });

  it(`fills a ${CONTOUR_GRID}×${CONTOUR_GRID} grid, cells with trials at the mean of their values, points on top`, () => {
    const o = contourOption(study, { x: 'lr', y: 'x' });
    expect(seriesIds(o)).toEqual(['contour', 'points']);
    const cells = series(o, 'contour').data as [number, number, number][];
    expect(cells).toHaveLength(CONTOUR_GRID * CONTOUR_GRID);
    expect(series(o, 'points').data).toEqual(study.trials.map((t) => [t.params['lr'], t.params['x'], t.values![0], t.number]));
    // The cell of each trial, as the builder bins (log space for lr in [1e-5, 1e-1], x in [-5, 5]).
    const byCell = new Map<string, number[]>();
    for (const t of study.trials) {
      const i = Math.min(CONTOUR_GRID - 1, Math.floor(((Math.log(t.params['lr'] as number) - Math.log(1e-5)) / (Math.log(1e-1) - Math.log(1e-5))) * CONTOUR_GRID));
      const j = Math.min(CONTOUR_GRID - 1, Math.floor((((t.params['x'] as number) + 5) / 10) * CONTOUR_GRID));
      const key = `${i},${j}`;
      byCell.set(key, [...(byCell.get(key) ?? []), t.values![0]!]);
    }
    for (const [key, vs] of byCell) {
      const [i, j] = key.split(',').map(Number);
      const cell = cells.find((c) => c[0] === i && c[1] === j)!;
      expect(cell[2]).toBeCloseTo(vs.reduce((a, b) => a + b, 0) / vs.length, 10);
    }
    // Interpolated cells stay within the observed range.
    const vals = study.trials.map((t) => t.values![0]!);
    for (const c of cells) {
      expect(c[2]).toBeGreaterThanOrEqual(Math.min(...vals) - 1e-9);
      expect(c[2]).toBeLessThanOrEqual(Math.max(...vals) + 1e-9);
    }
  });

  it('puts categorical params on category axes, one cell per choice', () => {
    const o = contourOption(study, { x: 'opt', y: 'layers' }) as unknown as { xAxis: { type: string; data: string[]; show: boolean }[] };
    expect(o.xAxis[0]).toMatchObject({ type: 'category', data: ['adam', 'sgd', 'rmsprop'], show: true });
    expect(series(o, 'contour').data).toHaveLength(3 * CONTOUR_GRID);
  });

  it('refuses an unknown param and the same param twice', () => {
    expect((thrown(() => contourOption(study, { x: 'lr', y: 'z' })) as Error).message).toMatch(/^Expected a parameter of study "synthetic" .* for `y` but received "z"$/);
    expect((thrown(() => contourOption(study, { x: 'lr', y: 'lr' })) as Error).message).toBe('Expected a parameter other than `x` ("lr") for `y` but received "lr"');
  });
});

describe('intermediateOption', () => {
  it('draws learning curves by state, PRUNED dashed and named in the legend', () => {
    const study = synthetic({ n: 12, prunedEvery: 3, steps: 6 });
    const o = intermediateOption(study) as unknown as { legend: { data: string[] } };
    expect(o.legend.data).toEqual(['Complete', 'Pruned']);
    const pruned = series(o, 'pruned');
    expect(pruned.lineStyle!.type).toBe('dashed');
    const prunedNumbers = new Set((pruned.data as unknown[][]).filter((p) => p[0] !== '-').map((p) => p[2]));
    expect([...prunedNumbers]).toEqual(study.trials.filter((t) => t.state === 'PRUNED').map((t) => t.number));
    const completeData = series(o, 'complete').data as unknown[][];
    const t0 = study.trials[0]!;
    expect(completeData.slice(0, 6)).toEqual(t0.intermediate.map(([s, v]) => [s, v, 0]));
    expect(completeData[6]).toEqual(['-', '-', '-']);  // a gap between two trials' curves
  });

  it(`caps the curves at ${INTERMEDIATE_MAX_CURVES} and the points per curve at ${INTERMEDIATE_MAX_POINTS}`, () => {
    const study = synthetic({ n: 1500, steps: 3 });
    const points = (series(intermediateOption(study), 'complete').data as unknown[][]).filter((p) => p[0] !== '-');
    expect(new Set(points.map((p) => p[2])).size).toBe(INTERMEDIATE_MAX_CURVES);
    const long = synthetic({ n: 1, steps: 1000 });
    const curve = series(intermediateOption(long), 'complete').data as number[][];
    expect(curve).toHaveLength(INTERMEDIATE_MAX_POINTS);
    expect(curve[0]![0]).toBe(0);
    expect(curve.at(-1)![0]).toBe(999);
  });
});

describe('paretoOption', () => {
  const bruteFront = (s: StudyJSON) =>
    complete(s).filter((t) =>
      !complete(s).some((u) => {
        let better = false;
        for (let i = 0; i < s.directions.length; i++) {
          const sign = s.directions[i] === 'minimize' ? 1 : -1;
          if (sign * u.values![i]! > sign * t.values![i]!) return false;
          if (sign * u.values![i]! < sign * t.values![i]!) better = true;
        }
        return better;
      }),
    ).map((t) => t.number);

  it.each([
    [['minimize', 'maximize']],
    [['maximize', 'minimize']],
    [['minimize', 'minimize']],
    [['minimize', 'maximize', 'minimize']],
  ] as const)('highlights the non-dominated COMPLETE trials (%j)', (directions) => {
    const s = synthetic({ n: 300, directions: [...directions], prunedEvery: 7, seed: 9 });
    // A duplicate of a front trial stays on the front.
    const o = paretoOption(s);
    const front = (series(o, 'front').data as number[][]).map((p) => p[2]);
    expect(front).toEqual(bruteFront(s));
    expect(front.length).toBeGreaterThan(0);
    const rest = (series(o, 'dominated').data as number[][]).map((p) => p[2]);
    expect(rest.length + front.length).toBe(complete(s).length);
  });

  it('draws the objectives asked for and refuses a single-objective study', () => {
    const s = synthetic({ n: 30, directions: ['minimize', 'maximize', 'minimize'] });
    const o = paretoOption(s, { objectives: [2, 0] });
    expect((series(o, 'dominated').data as number[][])[0]!.slice(0, 2)).toEqual([s.trials.find((t) => !bruteFront(s).includes(t.number))!.values![2], s.trials.find((t) => !bruteFront(s).includes(t.number))!.values![0]]);
    expect((thrown(() => paretoOption(s, { objectives: [0, 3] })) as Error).message).toBe('Expected an integer in [0, 2] for `objectives[1]` but received 3');
    const e = thrown(() => paretoOption(synthetic({ n: 5 })));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toBe('Expected a study with several objectives for a Pareto front but study "synthetic" has 1 (use the history plot)');
  });
});

describe('importanceOption', () => {
  it('draws one bar per parameter, the most important on top', () => {
    const o = importanceOption({ method: 'fanova', nTrials: 50, importances: [{ name: 'lr', importance: 0.7 }, { name: 'x', importance: 0.2 }, { name: 'opt', importance: 0.1 }] });
    expect(o.yAxis).toMatchObject({ type: 'category', data: ['opt', 'x', 'lr'] });
    expect(series(o, 'importance').data).toEqual([[0.1, 'opt', '0.100'], [0.2, 'x', '0.200'], [0.7, 'lr', '0.700']]);
    expect((thrown(() => importanceOption({ method: 'fanova', nTrials: 1, importances: [{ name: 'a', importance: NaN }] })) as Error).message).toMatch(/for `result.importances\[0\]`/);
  });
});

describe('a 50,000-trial study', () => {
  it('builds every option within a second or so', () => {
    const big = synthetic({ n: 50_000, steps: 20, prunedEvery: 4, directions: ['minimize', 'maximize'], seed: 11 });
    const ms: Record<string, number> = {};
    const time = (name: string, f: () => unknown) => {
      const t0 = performance.now();
      f();
      ms[name] = Math.round(performance.now() - t0);
    };
    time('history', () => historyOption(big));
    time('parallel', () => parallelOption(big));
    time('slice', () => sliceOption(big, { param: 'lr' }));
    time('contour', () => contourOption(big, { x: 'lr', y: 'x' }));
    time('intermediate', () => intermediateOption(big));
    time('pareto', () => paretoOption(big));
    console.log('50,000-trial build times (ms):', JSON.stringify(ms));
    // Generous bounds: a loaded 2-core machine; the measured times are a tenth of these.
    for (const v of Object.values(ms)) expect(v).toBeLessThan(3000);
  });
});
