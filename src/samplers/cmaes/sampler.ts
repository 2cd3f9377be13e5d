/**
 * CmaEsSampler: relative sampling by CMA-ES (Hansen 2016) with IPOP restarts (Auger & Hansen 2005)
 * and CMA-ES with margin for integer and stepped parameters (Hamano et al. 2022), like Optuna's
 * CmaEsSampler on top of the `cmaes` package.
 *
 * - Search space: the intersection search space of the finished trials, its non-constant float and int
 *   parameters (sorted by name), each scaled to [0, 1] through `toUnit` (log parameters on the log
 *   scale, discrete values owning equal cells). Categoricals, constants and parameters outside the
 *   intersection go to the independent sampler. The first `nStartupTrials` trials are all independent.
 * - Generations: each trial sampled by CMA-ES records the generation it was drawn from
 *   (`cma:generation`) and its raw vector (`cma:x`). Once λ trials of the current generation are
 *   COMPLETE (the λ of lowest number), the next ask() updates the distribution and publishes the new
 *   generation in the study's system attributes (see state.ts), so concurrent workers and later
 *   processes share one search. Trials of a superseded generation (running while it was replaced) and
 *   failed trials are simply not used.
 * - IPOP: after an update that trips a termination test (flat fitness, σ collapsed, steps without
 *   effect, condition of C above 1e14, σ diverging), the run restarts at a uniformly drawn mean with
 *   λ multiplied by `incPopsize`.
 * - Search-space change: when the stored state's parameters are no longer all in the search space
 *   with the same distributions, a fresh run starts on the new space (new generation, initial λ).
 * - Minimisation and maximisation (values are negated for the solver). Single-objective only.
 * - With `seed`, a sequential study is reproducible: a trial's draws depend only on (seed, trial number)
 *   and the stored state, which round-trips exactly through JSON.
 */
import { contains, distributionsEqual, fromUnit, toUnit, type Distribution } from '../../distributions/index.js';
import { InvalidArgumentError } from '../../errors.js';
import { TrialState, type FrozenTrial } from '../../trial/index.js';
import type { Sampler, StudyView } from '../base.js';
import { paramRng } from '../seed.js';
import { applyMargin, defaultMargin, encodeCoord, type DiscreteDim } from './margin.js';
import { resolveOptions, x0Error, type CmaEsSamplerOptions, type ResolvedOptions } from './options.js';
import { defaultPopsize, newRun, sampleFromRun, stopReason, tell, type CmaRun } from './solver.js';
import { intersectionSearchSpace } from '../search-space.js';
import { isDiscrete, numericPart, spaceKey, type NumericDistribution } from './space.js';
import { GENERATION_ATTR, X_ATTR, latestFull, publish, type FullState } from './state.js';
import { IndependentFallback } from '../independent-fallback.js';
import { PerStorage } from '../per-storage.js';
import { dict } from '../../util/dict.js';

/** Tag separating this sampler's draws from other samplers' with the same seed. */
const TAG = 11;

/** A finished trial with the value CMA-ES minimises. */
interface Scored {
  readonly trial: FrozenTrial;
  readonly f: number;
}

export class CmaEsSampler implements Sampler {
  /** The seed in use (drawn at random when none was given). */
  readonly seed: number;
  private readonly o: ResolvedOptions;
  /** Newest full state known per study: spares a read of the study attributes on most asks. */
  private readonly states = new PerStorage<FullState>();
  /** Finished trials read by inferRelativeSearchSpace, handed to sampleRelative of the same trial. */
  private readonly pending = new PerStorage<FrozenTrial[]>();
  /** Parameters outside CMA-ES's space: the independent sampler, with a warning once per name. */
  private readonly fallback: IndependentFallback;

  constructor(opts?: CmaEsSamplerOptions) {
    this.o = resolveOptions(opts);
    this.seed = this.o.seed;
    this.fallback = new IndependentFallback({
      sampler: 'CmaEsSampler',
      reason:
        'CMA-ES covers only float and int parameters present with the same distribution in every finished trial. ' +
        'Pass `warnIndependentSampling: false` if this is intended.',
      code: 'TUNABLE_CMAES_INDEPENDENT',
      warn: this.o.warnIndependentSampling,
      independentSampler: this.o.independentSampler,
    });
  }

  async inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): Promise<Record<string, Distribution>> {
    if (study.directions.length !== 1) {
      throw new InvalidArgumentError(
        `CmaEsSampler supports single-objective studies only; study ${JSON.stringify(study.studyName)} has ${study.directions.length} objectives`,
      );
    }
    const trials = await study.getTrials({ states: this.usableStates() });
    const space = numericPart(intersectionSearchSpace(trials, { includePruned: this.o.considerPrunedTrials }));
    if (Object.keys(space).length > 0) this.pending.set(study.storage, trial.trialId, trials);
    return space;
  }

  async sampleRelative(study: StudyView, trial: FrozenTrial, searchSpace: Record<string, Distribution>): Promise<Record<string, number>> {
    const trials = this.pending.get(study.storage, trial.trialId) ?? (await study.getTrials({ states: this.usableStates() }));
    this.pending.delete(study.storage, trial.trialId);
    const space = numericPart(searchSpace);
    if (Object.keys(space).length === 0) return {};
    const scored = this.scored(study, trials);
    if (scored.length < this.o.nStartupTrials) return {};
    let state = await this.current(study, scored, space);
    state = await this.advance(study, state, scored, space);
    const { x, params } = this.draw(state, space, trial.number);
    await study.storage.setTrialSystemAttr(trial.trialId, GENERATION_ATTR, state.gen);
    await study.storage.setTrialSystemAttr(trial.trialId, X_ATTR, x);
    this.fallback.markJoint(study, trial);
    return params;
  }

  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): number {
    return this.fallback.sampleIndependent(study, trial, name, distribution);
  }

  async afterTrial(study: StudyView, trial: FrozenTrial, state: TrialState, values: readonly number[] | null): Promise<void> {
    await this.fallback.afterTrial(study, trial, state, values);
  }

  private usableStates(): TrialState[] {
    return this.o.considerPrunedTrials ? [TrialState.COMPLETE, TrialState.PRUNED] : [TrialState.COMPLETE];
  }

  /** Trials with a value, as values to minimise. */
  private scored(study: StudyView, trials: readonly FrozenTrial[]): Scored[] {
    const sign = study.directions[0] === 'maximize' ? -1 : 1;
    const out: Scored[] = [];
    for (const t of trials) {
      let v = t.values?.[0];
      if (v === undefined && t.state === TrialState.PRUNED) {
        let step = -1;
        for (const [s, iv] of t.intermediateValues) if (s > step) [step, v] = [s, iv];
      }
      if (v !== undefined && Number.isFinite(v)) out.push({ trial: t, f: sign * v });
    }
    return out;
  }

  /** The state to sample from: cached, else the newest stored, else a new one; restarted on a new space. */
  private async current(study: StudyView, scored: readonly Scored[], space: Record<string, NumericDistribution>): Promise<FullState> {
    const { storage, studyId } = study;
    let state = this.states.get(storage, studyId);
    let maxGen = -1;
    for (const s of scored) maxGen = Math.max(maxGen, generationOf(s.trial));
    // Another worker moved on: our cached state is stale.
    if (state === undefined || maxGen > state.gen) state = latestFull(await storage.getStudySystemAttrs(studyId)) ?? undefined;
    if (state === undefined) state = await publish(storage, studyId, this.fresh(0, 'init', space), null);
    if (!covers(state, space)) state = await publish(storage, studyId, this.fresh(state.gen + 1, 'space', space), state);
    this.states.set(storage, studyId, state);
    return state;
  }

  /** A new run on `space` from x0 (or the centre). */
  private fresh(gen: number, reason: 'init' | 'space', space: Record<string, NumericDistribution>): FullState {
    const names = Object.keys(space);
    const mean = names.map((name) => {
      const v = this.o.x0?.[name];
      if (v === undefined) return 0.5;
      const d = space[name]!;
      if (!contains(d, v)) throw x0Error(name, v, d);
      return toUnit(d, v);
    });
    const run = newRun(mean, this.o.sigma0, this.o.popsize ?? defaultPopsize(names.length));
    return { version: 1, gen, reason, restart: 0, names, space: spaceKey(space), popsize: run.popsize, sigma: run.sigma, run };
  }

  /** Updates the distribution when the population of `state` is complete (and restarts it under IPOP). */
  private async advance(study: StudyView, state: FullState, scored: readonly Scored[], space: Record<string, NumericDistribution>): Promise<FullState> {
    const run = state.run;
    const dists = state.names.map((name) => space[name]!);
    const members = scored.filter((s) => generationOf(s.trial) === state.gen && hasSpace(s.trial, state.names, dists));
    if (members.length < run.popsize) return state;
    members.sort((a, b) => a.trial.number - b.trial.number);
    const solutions = members.slice(0, run.popsize).map((m) => ({ x: this.toldVector(run, m.trial, state.names, dists), f: m.f }));
    let next: CmaRun = tell(run, solutions);
    if (this.o.withMargin) next = applyMargin(next, this.discreteDims(dists), defaultMargin(next.n, next.popsize));
    const stop = this.o.restartStrategy === 'ipop' ? stopReason(next) : null;
    const gen = state.gen + 1;
    let published: FullState;
    if (stop !== null) {
      const rng = paramRng(this.seed, TAG, gen, 'ipop');
      const popsize = Math.max(run.popsize + 1, Math.round(run.popsize * this.o.incPopsize));
      const restarted = newRun(state.names.map(() => rng.random()), this.o.sigma0, popsize);
      published = { ...state, gen, reason: 'ipop', restart: state.restart + 1, stopReason: stop, popsize, sigma: restarted.sigma, run: restarted };
    } else {
      const { stopReason: _prevStop, ...rest } = state;
      published = { ...rest, gen, reason: 'update', popsize: next.popsize, sigma: next.sigma, run: next };
    }
    const inForce = await publish(study.storage, study.studyId, published, state);
    this.states.set(study.storage, study.studyId, inForce);
    return inForce;
  }

  /**
   * The vector a trial is told with: its recorded raw sample, except on coordinates where the value it
   * was evaluated at is not what that sample encodes (a parameter fixed by enqueueTrial): there, the
   * unit-cube position of the evaluated value.
   */
  private toldVector(run: CmaRun, t: FrozenTrial, names: readonly string[], dists: readonly NumericDistribution[]): number[] {
    const raw = t.systemAttrs[X_ATTR];
    const ok = Array.isArray(raw) && raw.length === names.length && raw.every((v) => typeof v === 'number' && Number.isFinite(v));
    return names.map((name, i) => {
      const actual = t.internalParams[name]!;
      const d = dists[i]!;
      if (ok) {
        const xi = raw[i] as number;
        if (this.decode(run, i, xi, d) === actual) return xi;
      }
      return toUnit(d, actual);
    });
  }

  /** The parameter value (internal) of coordinate i at raw CMA value x. */
  private decode(run: CmaRun, i: number, x: number, d: NumericDistribution): number {
    return fromUnit(d, this.o.withMargin && isDiscrete(d) ? encodeCoord(run, i, x) : x);
  }

  private discreteDims(dists: readonly NumericDistribution[]): DiscreteDim[] {
    const out: DiscreteDim[] = [];
    dists.forEach((dist, index) => {
      if (isDiscrete(dist)) out.push({ index, dist });
    });
    return out;
  }

  /**
   * One sample of the state's distribution for trial `number`: resampled until the continuous
   * coordinates fall in [0, 1] (at most 10·n tries, then clipped). Discrete coordinates with margin
   * need no bound — their encoding clamps to the end values — and keep their raw value, which the
   * update needs to see.
   */
  private draw(state: FullState, space: Record<string, NumericDistribution>, number: number): { x: number[]; params: Record<string, number> } {
    const run = state.run;
    const n = run.n;
    const dists = state.names.map((name) => space[name]!);
    const bounded = dists.map((d) => !(this.o.withMargin && isDiscrete(d)));
    const rng = paramRng(this.seed, TAG, number, 'cma');
    let x: number[] = [];
    let feasible = false;
    for (let attempt = 0; attempt < 10 * n && !feasible; attempt++) {
      x = sampleFromRun(run, Array.from({ length: n }, () => rng.normal()));
      feasible = x.every((xi, i) => !bounded[i] || (xi >= 0 && xi <= 1));
    }
    if (!feasible) x = x.map((xi, i) => (bounded[i] ? Math.min(1, Math.max(0, xi)) : xi));
    const params = dict<number>();
    state.names.forEach((name, i) => (params[name] = this.decode(run, i, x[i]!, dists[i]!)));
    return { x, params };
  }
}

function generationOf(t: FrozenTrial): number {
  const g = t.systemAttrs[GENERATION_ATTR];
  return typeof g === 'number' ? g : -1;
}

/** Whether every parameter of the state is in `space` with the distribution the state was built for. */
function covers(state: FullState, space: Record<string, NumericDistribution>): boolean {
  const sub = dict<NumericDistribution>();
  for (const name of state.names) {
    const d = space[name];
    if (d === undefined) return false;
    sub[name] = d;
  }
  return spaceKey(sub) === state.space;
}

function hasSpace(t: FrozenTrial, names: readonly string[], dists: readonly NumericDistribution[]): boolean {
  return names.every((name, i) => {
    const d = t.distributions[name];
    return d !== undefined && t.internalParams[name] !== undefined && distributionsEqual(d, dists[i]!);
  });
}

export type { CmaEsSamplerOptions };
