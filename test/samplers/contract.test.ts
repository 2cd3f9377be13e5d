/**
 * The sampler contract (src/samplers/base.ts), run against every sampler through the public study API:
 * seeded reproducibility, values inside their distributions, conditional and changing search spaces,
 * concurrent workers, enqueued trials, every distribution kind, and multi-objective studies.
 *
 * Model-based samplers are configured to leave their startup phase within a row's `nTrials`
 * (nStartupTrials 2-4, small populations), so the checks cover their model's proposals, not only
 * their random start; rows with a visible marker of that (`modelled`) assert it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  categoricalDistribution,
  contains,
  floatDistribution,
  intDistribution,
  toInternal,
  toUnit,
  type Distribution,
  type ParamValue,
} from '../../src/distributions/index.js';
import { TunableError, type ErrorCode } from '../../src/errors.js';
import {
  BOHBSampler,
  BracketFilteredSampler,
  CmaEsSampler,
  createStudy,
  engine,
  GPSampler,
  GridSampler,
  HyperbandPruner,
  QMCSampler,
  RandomSampler,
  RegularizedEvolutionSampler,
  TPESampler,
  type GridSearchSpace,
  type GridValue,
  type Sampler,
  type Study,
  type Trial,
} from '../../src/index.js';
import { GENERATION_ATTR } from '../../src/samplers/cmaes/state.js';
import { PARENT_ATTR } from '../../src/samplers/evolution/sampler.js';
import { HYPER_ATTR } from '../../src/samplers/gp/sampler.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { TrialState, type FrozenTrial, type StudyDirection } from '../../src/trial/index.js';
import { getLogLevel, setLogLevel, type LogLevel } from '../../src/util/log.js';

// One log line per finished trial would bury the test report.
let logLevel: LogLevel;
beforeAll(() => {
  logLevel = getLogLevel();
  setLogLevel('warning');
});
afterAll(() => setLogLevel(logLevel));

// ---------------------------------------------------------------------------------------------------
// Search spaces. Each parameter carries the values a GridSampler gets for it (a grid must be given
// up front; every other sampler ignores them).

interface Param {
  readonly name: string;
  readonly dist: Distribution;
  readonly grid: readonly GridValue[];
}

const param = (name: string, dist: Distribution, grid: readonly GridValue[]): Param => {
  for (const v of grid) if (!contains(dist, v)) throw new Error(`fixture: grid value ${String(v)} of ${name} is not in its distribution`);
  return { name, dist, grid };
};

/** One parameter of every kind; the categorical mixes choice types that compare equal loosely (1/true/'1', 0/false/null). */
const KINDS: readonly Param[] = [
  param('f', floatDistribution(-2, 3), [-2, 0.5, 3]),
  param('flog', floatDistribution(1e-4, 1, true), [1e-4, 1e-2, 1]),
  // A decimal step: values such as 0.30000000000000004 must not leak out of the step grid.
  param('fstep', floatDistribution(0, 1, false, 0.1), [0, 0.3, 1]),
  param('i', intDistribution(-3, 7), [-3, 2, 7]),
  param('ilog', intDistribution(1, 1000, true), [1, 31, 1000]),
  param('istep', intDistribution(0, 20, false, 4), [0, 8, 20]),
  param('c', categoricalDistribution([null, 'adam', 1, 0.5, true, false, '1', 0]), [null, 1, true, '1']),
];

/** Single-valued distributions (low == high, one choice): the study answers them without the sampler. */
const SINGLES: readonly Param[] = [
  param('sf', floatDistribution(1.5, 1.5), [1.5]),
  param('sflog', floatDistribution(0.25, 0.25, true), [0.25]),
  param('sfstep', floatDistribution(2, 2, false, 0.5), [2]),
  param('si', intDistribution(4, 4), [4]),
  param('silog', intDistribution(3, 3, true), [3]),
  param('sistep', intDistribution(-6, -6, false, 3), [-6]),
  param('sc', categoricalDistribution(['only']), ['only']),
];

/** Ranges at the limits of what the distributions accept: huge, tiny, very fine steps, many choices. */
const EXTREMES: readonly Param[] = [
  param('wide', floatDistribution(-1e300, 1e300), [-1e300, 0, 1e300]),
  param('widelog', floatDistribution(1e-300, 1e300, true), [1e-300, 1, 1e300]),
  param('tiny', floatDistribution(1e-320, 2e-320), [1e-320, 2e-320]),
  param('finestep', floatDistribution(0, 1, false, 1e-6), [0, 0.5, 1]),
  param('bigint', intDistribution(-(2 ** 51), 2 ** 51), [-(2 ** 51), 0, 2 ** 51]),
  param('bigintlog', intDistribution(1, 2 ** 52, true), [1, 2 ** 52]),
  param('manychoices', categoricalDistribution([...Array(1000).keys()].map((k) => `c${k}`)), ['c0', 'c999']),
];

const gridOf = (params: readonly Param[]): GridSearchSpace => Object.fromEntries(params.map((p) => [p.name, p.grid]));

/** Suggests every parameter; the value is smallest at alternating ends of the ranges, so model-based samplers are drawn to the bounds. */
function suggestAll(trial: Trial, params: readonly Param[]): number {
  let v = 0;
  params.forEach((p, k) => {
    const x = trial.suggestDistribution(p.name, p.dist);
    const u = toUnit(p.dist, toInternal(p.dist, x));
    v += k % 2 === 0 ? u : 1 - u;
  });
  return v;
}

/**
 * The objective over `params`. It reports two steps too: BOHB then has budgets to pick from, and a
 * multi-objective study may report as well (ThresholdPruner works on any number of objectives).
 */
function objective(params: readonly Param[], directions: readonly StudyDirection[] = ['minimize']) {
  return (trial: Trial): number | number[] => {
    const v = suggestAll(trial, params);
    trial.report(2 * v, 0);
    trial.report(v, 1);
    return directions.length > 1 ? [v, trial.number % 3] : v;
  };
}

/** Every parameter of every trial lies in its distribution, and the stored internal value matches. */
function expectInside(trials: readonly FrozenTrial[]): void {
  for (const t of trials) {
    for (const [name, d] of Object.entries(t.distributions)) {
      const v = t.params[name];
      const where = `trial ${t.number}, ${name} = ${JSON.stringify(v)} in ${JSON.stringify(d)}`;
      expect(contains(d, v), where).toBe(true);
      expect(toInternal(d, v), where).toBe(t.internalParams[name]);
      if (d.type === 'float' && d.step !== null) {
        // On the step grid to rounding, not merely within contains()'s relative tolerance.
        const k = Math.round(((v as number) - d.low) / d.step);
        expect(Math.abs((v as number) - (d.low + k * d.step)), where).toBeLessThan(1e-9);
      }
    }
  }
}

/** Every trial COMPLETE, numbered 0..n-1 without gaps. */
function expectAllComplete(trials: readonly FrozenTrial[], n: number): void {
  expect(trials.map((t) => t.number).sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
  const notComplete = trials.filter((t) => t.state !== TrialState.COMPLETE);
  expect(notComplete.map((t) => `trial ${t.number}: ${t.state} ${String(t.systemAttrs['failReason'] ?? '')}`)).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------
// The samplers.

interface Row {
  readonly name: string;
  /** A fresh sampler. `grid` is the test's search space (only GridSampler uses it). */
  make(seed: number, grid: GridSearchSpace): Sampler;
  /** Trials per run: enough to leave the startup phase. */
  readonly nTrials: number;
  /** What a multi-objective study does: samples, or refuses at ask() with this typed error. */
  readonly multiObjective: 'supported' | { readonly code: ErrorCode; readonly message: RegExp };
  /** Whether the run shows that the model (not the startup sampler) proposed values. */
  modelled?(study: Study): Promise<boolean>;
  /** The same for a multi-objective run, where the model is one. */
  modelledMulti?(study: Study): Promise<boolean>;
  /** Needs the native engine's CPU backend. */
  readonly native?: boolean;
}

/**
 * TPE shows no trace of its model in the study: count its fits (the private step that draws from l(x)
 * and ranks by l/g; the original still runs). Cleared before each run that looks at it.
 */
const tpeFits = vi.spyOn(TPESampler.prototype as unknown as { sampleJoint(...a: unknown[]): unknown }, 'sampleJoint');
const tpeFitted = async (): Promise<boolean> => tpeFits.mock.calls.length > 0;

const singleObjectiveOnly = { code: 'ERR_INVALID_ARGUMENT', message: /supports single-objective studies only/ } as const;
const anyTrialHas = (study: Study, has: (t: FrozenTrial) => boolean): Promise<boolean> => study.getTrials().then((ts) => ts.some(has));

const ROWS: readonly Row[] = [
  { name: 'RandomSampler', make: (seed) => new RandomSampler({ seed }), nTrials: 16, multiObjective: 'supported' },
  { name: 'QMCSampler', make: (seed) => new QMCSampler({ seed }), nTrials: 16, multiObjective: 'supported' },
  // The seed only orders the visits; the values are the grid's.
  { name: 'GridSampler', make: (seed, grid) => new GridSampler(grid, { seed }), nTrials: 16, multiObjective: 'supported' },
  {
    name: 'TPESampler (univariate)',
    make: (seed) => new TPESampler({ seed, nStartupTrials: 4 }),
    nTrials: 20,
    multiObjective: 'supported',
    modelled: tpeFitted,
    modelledMulti: tpeFitted,
  },
  {
    name: 'TPESampler (multivariate)',
    make: (seed) => new TPESampler({ seed, nStartupTrials: 4, multivariate: true, warnIndependentSampling: false }),
    nTrials: 20,
    multiObjective: 'supported',
    modelled: tpeFitted,
    modelledMulti: tpeFitted,
  },
  {
    name: 'TPESampler (multivariate, group)',
    make: (seed) => new TPESampler({ seed, nStartupTrials: 4, multivariate: true, group: true, warnIndependentSampling: false }),
    nTrials: 20,
    multiObjective: 'supported',
    modelled: tpeFitted,
    modelledMulti: tpeFitted,
  },
  {
    name: 'TPESampler (constantLiar)',
    make: (seed) => new TPESampler({ seed, nStartupTrials: 4, constantLiar: true }),
    nTrials: 20,
    multiObjective: 'supported',
    modelled: tpeFitted,
    modelledMulti: tpeFitted,
  },
  {
    name: 'CmaEsSampler',
    make: (seed) => new CmaEsSampler({ seed, popsize: 3, warnIndependentSampling: false }),
    nTrials: 20,
    multiObjective: singleObjectiveOnly,
    // A generation past the first: the distribution was updated from told trials.
    modelled: (study) => anyTrialHas(study, (t) => (t.systemAttrs[GENERATION_ATTR] as number | undefined ?? 0) >= 1),
  },
  {
    name: 'CmaEsSampler (withMargin: false)',
    make: (seed) => new CmaEsSampler({ seed, popsize: 3, withMargin: false, warnIndependentSampling: false }),
    nTrials: 20,
    multiObjective: singleObjectiveOnly,
    modelled: (study) => anyTrialHas(study, (t) => (t.systemAttrs[GENERATION_ATTR] as number | undefined ?? 0) >= 1),
  },
  {
    name: 'RegularizedEvolutionSampler',
    make: (seed) => new RegularizedEvolutionSampler({ seed, populationSize: 4, sampleSize: 2 }),
    nTrials: 20,
    multiObjective: singleObjectiveOnly,
    modelled: (study) => anyTrialHas(study, (t) => typeof t.systemAttrs[PARENT_ATTR] === 'number'),
  },
  {
    name: 'GPSampler',
    make: (seed) => new GPSampler({ seed, backend: 'cpu', nStartupTrials: 3, warnIndependentSampling: false }),
    nTrials: 12,
    multiObjective: singleObjectiveOnly,
    modelled: async (study) => HYPER_ATTR in (await study.storage.getStudySystemAttrs(study.studyId)),
    native: true,
  },
  {
    name: 'BOHBSampler',
    make: (seed) => new BOHBSampler({ seed, minObservations: 3, tpe: { nStartupTrials: 3 } }),
    nTrials: 20,
    multiObjective: 'supported',
    // A budget chosen, and the delegate TPE fitted (on the history rewritten at that budget).
    modelled: async (study) => (await tpeFitted()) && (await anyTrialHas(study, (t) => typeof t.systemAttrs['bohb_budget'] === 'number')),
    modelledMulti: tpeFitted,
  },
  {
    name: 'BracketFilteredSampler (TPE, Hyperband)',
    // Two brackets share the trials, so each bracket's TPE needs few of them to start.
    make: (seed) => new BracketFilteredSampler(new TPESampler({ seed, nStartupTrials: 2 }), new HyperbandPruner({ minResource: 1, maxResource: 3 })),
    nTrials: 20,
    multiObjective: 'supported',
    modelled: tpeFitted,
    modelledMulti: tpeFitted,
  },
];

/** The GP needs the addon; CI builds it, so this skips only on a machine without it. */
const HAS_CPU_ENGINE = engine.backends().includes('cpu');

async function newStudy(row: Row, seed: number, params: readonly Param[], directions: readonly StudyDirection[] = ['minimize']): Promise<Study> {
  const sampler = row.make(seed, gridOf(params));
  // The BracketFilteredSampler's pruner and the study's must agree on the layout: give both the same one.
  const pruner = sampler instanceof BracketFilteredSampler ? sampler.pruner : undefined;
  return createStudy({
    storage: new MemoryStorage(),
    // The same name for every study: Hyperband assigns brackets by (study name, trial number).
    studyName: 'contract',
    sampler,
    directions,
    ...(pruner === undefined ? {} : { pruner }),
  });
}

async function run(row: Row, seed: number, params: readonly Param[], nTrials = row.nTrials): Promise<Study> {
  const study = await newStudy(row, seed, params);
  await study.optimize(objective(params), { nTrials });
  return study;
}

const paramsOf = (trials: readonly FrozenTrial[]): Record<string, ParamValue>[] => trials.map((t) => ({ ...t.params }));

describe.each(ROWS.map((r) => [r.name, r] as const))('Sampler contract: %s', (_name, row) => {
  const test = row.native === true && !HAS_CPU_ENGINE ? it.skip : it;

  test('is reproducible with a seed; another seed gives other values', async () => {
    const a = await run(row, 11, KINDS);
    const b = await run(row, 11, KINDS);
    const c = await run(row, 12, KINDS);
    const [ta, tb, tc] = await Promise.all([a.getTrials(), b.getTrials(), c.getTrials()]);
    expect(ta).toHaveLength(row.nTrials);
    expect(paramsOf(tb)).toEqual(paramsOf(ta));
    expect(tb.map((t) => t.values)).toEqual(ta.map((t) => t.values));
    // Every sampler here is random given its seed (GridSampler: the order of the grid points).
    expect(paramsOf(tc)).not.toEqual(paramsOf(ta));
  });

  test('keeps every value inside its distribution (float, log, step, int, int log, int step, mixed categorical)', async () => {
    tpeFits.mockClear();
    const study = await run(row, 21, KINDS);
    const trials = await study.getTrials();
    expectAllComplete(trials, row.nTrials);
    for (const t of trials) expect(Object.keys(t.params).sort()).toEqual(KINDS.map((p) => p.name).sort());
    expectInside(trials);
    if (row.modelled) expect(await row.modelled(study), 'the model proposed values (startup phase left)').toBe(true);
  });

  test('handles a conditional space that also changes between trials', async () => {
    const n = row.nTrials + 4;
    const half = Math.floor(n / 2);
    // Both versions of the changing parameters contain the grid's values, so one grid serves the whole run.
    const branch = param('branch', categoricalDistribution(['a', 'b']), ['a', 'b']);
    const aX = param('a_x', floatDistribution(0, 1), [0, 1]);
    const aN = param('a_n', intDistribution(1, 5), [1, 5]);
    const bLr = param('b_lr', floatDistribution(1e-3, 1, true), [1e-3, 1]);
    const sharedEarly = param('shared', floatDistribution(-1, 1), [-1, 0, 0.5]);
    const sharedLate = param('shared', floatDistribution(-1, 2), [-1, 0, 0.5]);
    const optEarly = param('opt', categoricalDistribution(['x', 'y']), ['x', 'y']);
    const optLate = param('opt', categoricalDistribution(['x', 'y', 'z']), ['x', 'y']);
    const late = param('late', intDistribution(0, 3), [0, 3]);
    const study = await newStudy(row, 31, [branch, aX, aN, bLr, sharedEarly, optEarly, late]);
    await study.optimize(
      (t) => {
        const early = t.number < half;
        const b = t.suggestCategorical('branch', ['a', 'b']);
        let v = suggestAll(t, early ? [sharedEarly, optEarly] : [sharedLate, optLate, late]);
        v += b === 'a' ? suggestAll(t, [aX, aN]) : suggestAll(t, [bLr]);
        t.report(v, 1);
        return v;
      },
      { nTrials: n },
    );
    const trials = await study.getTrials();
    expectAllComplete(trials, n);
    expectInside(trials);
    const branches = new Set(trials.map((t) => t.params['branch']));
    expect(branches, 'both branches were proposed').toEqual(new Set(['a', 'b']));
    for (const t of trials) {
      const names = Object.keys(t.params).sort();
      const common = t.number < half ? ['branch', 'opt', 'shared'] : ['branch', 'late', 'opt', 'shared'];
      expect(names).toEqual([...common, ...(t.params['branch'] === 'a' ? ['a_n', 'a_x'] : ['b_lr'])].sort());
    }
  });

  test('runs concurrent async trials: all COMPLETE, numbers without gaps, values inside', async () => {
    const study = await newStudy(row, 41, KINDS);
    const f = objective(KINDS);
    let running = 0;
    let maxRunning = 0;
    await study.optimize(
      async (t) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        // Uneven delays, so trials finish out of order and later asks see RUNNING trials.
        await new Promise((r) => setTimeout(r, 1 + ((t.number * 7) % 5)));
        const v = f(t);
        running--;
        return v;
      },
      { nTrials: row.nTrials, concurrency: 4 },
    );
    const trials = await study.getTrials();
    expectAllComplete(trials, row.nTrials);
    expectInside(trials);
    expect(maxRunning).toBeGreaterThan(1);
  });

  test('uses enqueued parameters exactly, for the next trial, before and after the startup phase', async () => {
    const study = await newStudy(row, 51, KINDS);
    // Off every grid: these values can only come from the queue.
    const first = { f: 0.123, flog: 0.0042, fstep: 0.7, i: -2, ilog: 77, istep: 12, c: 'adam' };
    const partial = { c: false, fstep: 0.9 };
    const last = { f: -1.75, flog: 0.5, fstep: 0.1, i: 6, ilog: 3, istep: 16, c: 0 };
    const f = objective(KINDS);
    const q0 = await study.enqueueTrial(first);
    await study.optimize(f, { nTrials: row.nTrials });
    const q1 = await study.enqueueTrial(partial);
    const q2 = await study.enqueueTrial(last);
    await study.optimize(f, { nTrials: 3 });
    const trials = await study.getTrials();
    expectAllComplete(trials, row.nTrials + 3);
    expectInside(trials);
    expect([q0.number, q1.number, q2.number]).toEqual([0, row.nTrials, row.nTrials + 1]);
    const byNumber = (n: number): FrozenTrial => trials.find((t) => t.number === n)!;
    expect(byNumber(q0.number).params).toEqual(first);
    expect(byNumber(q1.number).params).toMatchObject(partial);
    expect(Object.keys(byNumber(q1.number).params).sort()).toEqual(KINDS.map((p) => p.name).sort());
    expect(byNumber(q2.number).params).toEqual(last);
  });

  test('supports every distribution kind (alone, at extreme ranges, single-valued) or refuses it with a typed error', async () => {
    const spaces: (readonly Param[])[] = [
      ...KINDS.map((p) => [p]),
      ...EXTREMES.map((p) => [p]),
      EXTREMES,
      // Single-valued parameters alone (nothing for a model to sample) and beside a free one.
      SINGLES,
      [...SINGLES, KINDS[0]!],
    ];
    for (const params of spaces) {
      const names = params.map((p) => p.name).join(', ');
      const study = await newStudy(row, 61, params);
      try {
        await study.optimize(objective(params), { nTrials: row.nTrials });
      } catch (e) {
        // No sampler refuses a kind today: any error fails here, with its code when it is a typed one.
        expect(e, `${names}: an error must be a TunableError`).toBeInstanceOf(TunableError);
        throw new Error(`${names}: refused with ${(e as TunableError).code}: ${(e as Error).message}`);
      }
      // A GridSampler stops the study once every point of its (here small) grid was run.
      const n = study.sampler instanceof GridSampler ? Math.min(row.nTrials, study.sampler.gridSize) : row.nTrials;
      const trials = await study.getTrials();
      expectAllComplete(trials, n);
      expectInside(trials);
      for (const p of SINGLES) {
        for (const t of trials) if (p.name in t.params) expect(t.params[p.name], `${p.name} in trial ${t.number}`).toBe(p.grid[0]);
      }
    }
  });

  test(
    row.multiObjective === 'supported'
      ? 'samples multi-objective studies'
      : `refuses multi-objective studies at ask() with ${row.multiObjective.code}`,
    async () => {
      const directions: StudyDirection[] = ['minimize', 'maximize'];
      const study = await newStudy(row, 71, KINDS, directions);
      const mo = row.multiObjective;
      if (mo === 'supported') {
        tpeFits.mockClear();
        await study.optimize(objective(KINDS, directions), { nTrials: row.nTrials });
        const trials = await study.getTrials();
        expectAllComplete(trials, row.nTrials);
        expectInside(trials);
        expect(trials.every((t) => t.values?.length === 2)).toBe(true);
        // Supporting a multi-objective study means modelling it, not falling back to random search unnoticed.
        if (row.modelledMulti) expect(await row.modelledMulti(study), 'the model proposed values (startup phase left)').toBe(true);
        return;
      }
      let error: unknown = null;
      await study.optimize(objective(KINDS, directions), { nTrials: row.nTrials }).catch((e: unknown) => (error = e));
      expect(error).toBeInstanceOf(TunableError);
      expect((error as TunableError).code).toBe(mo.code);
      expect((error as Error).message).toMatch(mo.message);
      // The refused ask() leaves a FAIL trial with the reason, not a RUNNING orphan, and the study stopped.
      const trials = await study.getTrials();
      expect(trials.map((t) => t.state)).toEqual([TrialState.FAIL]);
      expect(String(trials[0]!.systemAttrs['failReason'])).toMatch(mo.message);
    },
  );
});

describe('Sampler contract: coverage', () => {
  it('covers every sampler class the package exports', async () => {
    const exported = Object.entries(await import('../../src/samplers/index.js'))
      .filter(([name, v]) => typeof v === 'function' && /^[A-Z]\w*Sampler$/.test(name))
      .map(([name]) => name)
      .sort();
    const covered = [...new Set(ROWS.map((r) => r.name.split(' ')[0]!))].sort();
    expect(covered).toEqual(exported);
  });
});
