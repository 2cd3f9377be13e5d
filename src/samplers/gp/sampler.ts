/**
 * GPSampler: Bayesian optimisation on the native Gaussian-process engine (src/engine, native/README.md).
 *
 * - Search space: the intersection search space of the usable trials (COMPLETE, plus PRUNED with
 *   `considerPrunedTrials`), single-valued parameters dropped, sorted by name, encoded into [0, 1]^d by
 *   encode.ts (log scale, integer/step levels, categoricals). When no trial is usable yet — the first
 *   trial, or a study whose every trial failed — the space is the intersection of the FAIL (and ignored
 *   PRUNED) trials' spaces, so the Sobol' start still covers it (such a trial says where we were, not
 *   how good it was).
 * - Startup: until `nStartupTrials` usable trials exist, trial number i takes point i of a scrambled
 *   Sobol' sequence (seeded), like QMCSampler: trial numbers are unique, so concurrent workers get
 *   distinct points — spread like one low-discrepancy sequence when the processes pass the same `seed`,
 *   like independent uniform points when each draws its own.
 * - Then: values are sign-flipped for minimisation (larger is better), warped and standardised
 *   (model.ts), the GP is fitted starting from the previous fit's hyperparameters on the same space
 *   (kept per study in this instance and in the study system attribute `gp:hyperparameters`, so another
 *   process warm-starts too) and LogEI (or UCB) is maximised.
 * - RUNNING trials: each relative sample is stored in the trial's system attribute `gp:params` before
 *   sampleRelative returns; the other running trials' points (stored parameters, else enqueued ones,
 *   else `gp:params`: runningPoint) are passed as `pending`, fantasised at the posterior mean (the
 *   engine's `fantasy: 'mean'`, the kriging believer; model.ts). `usesPending` makes ask() hold the
 *   study's `sample` lock from the history read until the proposal is stored, so workers asking at once —
 *   in this process or, on a storage with a server lock, in others — each see the earlier ones'
 *   proposals. A running trial with neither (another sampler's, or one that has not proposed yet) is not
 *   pending.
 * - Why the believer: with a confident model its proposals cluster (each next one just beside the
 *   pending ones), and the constant liar spreads them, but the liar's batches are worse. Measured in
 *   bench/distributed/batch.ts (hartmann6, PostgreSQL, seeds 0–4): 32 workers asking at once after 20
 *   trials, median pairwise distance 0.058 (believer), 1.43 (liar at the smallest value: the later
 *   proposals leave for the faces and corners of the cube, beyond the 0.964 of random points), 0.043
 *   (liar at the largest); 32 workers running 96 trials, median regret 0.004–0.013 (two runs),
 *   0.54–0.65 and 0.77–0.78 (one worker: 8e-6, the same for all three: nothing is pending). The liars
 *   also lie at the random startup trials still running.
 * - Conditional spaces: the intersection space (shared parameters, the branch choice) is the main GP's;
 *   each group of parameters outside it that always appear together (one branch, groupDecomposedSearchSpace)
 *   gets a GP of its own on the trials that have it, once they number more than twice its dimension.
 *   Until then, and for parameters in no group (changed distributions), `independentSampler` decides:
 *   by default a univariate TPESampler, which learns from every trial that has the parameter where
 *   random sampling learns nothing. Measured in bench/regret/conditional.ts (regret, 60 trials, 10
 *   seeds): group GPs 0.015, TPE only 0.072, random 0.12 for the parameters outside the intersection.
 * - PRUNED trials are ignored unless `considerPrunedTrials` (then: their last intermediate value), FAIL
 *   trials are ignored; a non-finite stored value is skipped (the study stores such trials as FAIL).
 * - `multiFidelity` (with a pruner): the main GP is fitted over (parameters, budget) to every trial's
 *   intermediate values, thinned along each learning curve (fidelity.ts), and LogEI is maximised at the
 *   full budget against the best full-budget value; PRUNED trials with intermediate values are usable.
 * - `transferFrom` (earlier studies, docs/transfer.md): the first `transferStartTrials` trials take the
 *   sources' best configurations (reserveTrial: claimed once across workers, softly fixed), then from
 *   TRANSFER_MIN_TRIALS usable trials on the main space is proposed by RGPE (transfer.ts: a GP per
 *   source and the study's own, weighted by how well each ranks the study's trials) instead of the
 *   Sobol' start — unless every source weighs 0, when the step is the cold one (the Sobol' point
 *   during the start); each such trial stores its weights (TRANSFER_ATTR). Conditional groups are not
 *   transferred.
 * - Single-objective only: a multi-objective study throws InvalidArgumentError at ask().
 * - Size: the engine (and the Sobol' start) take at most MAX_GP_DIMS dimensions per GP. A study whose
 *   search space needs more in one GP (the intersection, with the budget column under `multiFidelity`,
 *   or a conditional group) is left to `independentSampler` from then on, with one TunableWarning
 *   (TUNABLE_GP_TOO_MANY_PARAMETERS) naming the count.
 * - With `seed`, a sequential study is reproducible: Sobol' points, fit starts and the acquisition search
 *   are seeded by (seed, trial number).
 */
import type { Distribution } from '../../distributions/index.js';
import { MAX_DIMS } from '../../engine/checks.js';
import type { Hyperparameters } from '../../engine/types.js';
import { InvalidArgumentError } from '../../errors.js';
import { Sobol, SOBOL_MAX_DIMS } from '../../qmc/sobol.js';
import { warnOnce } from '../../util/warn.js';
import { TrialState, type FrozenTrial } from '../../trial/index.js';
import type { Sampler, StudyView } from '../base.js';
import { groupDecomposedSearchSpace, intersectionSearchSpace } from '../search-space.js';
import { deriveSeed } from '../seed.js';
import { Encoding, gpSpace, spaceKey } from './encode.js';
import { fidelityData, type ResolvedFidelity } from './fidelity.js';
import { gpStep, transformValues, type StepInput } from './model.js';
import { PARAMS_ATTR, runningPoint } from './running.js';
import { checkBackend, resolveOptions, type GPSamplerOptions, type ResolvedOptions } from './options.js';
import { IndependentFallback } from '../independent-fallback.js';
import { GPTransfer, transferStep } from './transfer.js';
import { claimStartTrial } from '../../transfer/index.js';
import { PerStorage } from '../per-storage.js';

/** Tag separating this sampler's seeds from other samplers' with the same seed. */
const TAG = 13;
export { PARAMS_ATTR };
/** Study system attribute: the last fit's hyperparameters and the space they belong to. */
export const HYPER_ATTR = 'gp:hyperparameters';
/** Trial system attribute: the RGPE weights of the step that proposed the trial, by source name (and `target`). */
export const TRANSFER_ATTR = 'gp:transfer';
/** Finished trials from which RGPE proposes (the ranking weights need one pair of trials to order). */
const TRANSFER_MIN_TRIALS = 2;
/** Dimensions one GP can have: the engine's limit and the Sobol' start's. */
export const MAX_GP_DIMS = Math.min(MAX_DIMS, SOBOL_MAX_DIMS);

export class GPSampler implements Sampler {
  /** Proposals depend on the RUNNING trials' points (see Sampler.usesPending). */
  readonly usesPending = true;
  /** The seed in use (drawn at random when none was given). */
  readonly seed: number;
  private readonly o: ResolvedOptions;
  /** Per study: space key → the last fit's hyperparameters on that space (warm starts). */
  private readonly warm = new PerStorage<Map<string, Hyperparameters>>();
  /** Parameters outside the GP's space: the independent sampler, with a warning once per name. */
  private readonly fallback: IndependentFallback;
  private readonly sobols = new Map<number, Sobol>();
  /**
   * Serialises this instance's proposals, so one instance shared by several studies or storages never
   * runs two engine steps at once; within one study the `sample` lock of ask() already orders them.
   */
  private queue: Promise<unknown> = Promise.resolve();
  /** Studies whose search space outgrew MAX_GP_DIMS: the independent sampler takes all their parameters. */
  private readonly tooLarge = new PerStorage<true>();
  /** The transfer sources (`transferFrom`), or null. */
  private readonly transfer: GPTransfer | null;
  /** Studies whose transfer start configurations are all claimed. */
  private readonly started = new PerStorage<true>();

  constructor(opts?: GPSamplerOptions) {
    this.o = resolveOptions(opts);
    this.seed = this.o.seed;
    checkBackend(this.o.backend);
    this.transfer = this.o.transferFrom.length > 0 ? new GPTransfer(this.o.transferFrom, this.o) : null;
    this.fallback = new IndependentFallback({
      sampler: 'GPSampler',
      reason:
        'the GP covers the parameters present with the same distribution in every finished trial. ' +
        'Pass `warnIndependentSampling: false` if this is intended (conditional parameters).',
      code: 'TUNABLE_GP_INDEPENDENT',
      warn: this.o.warnIndependentSampling,
      independentSampler: this.o.independentSampler,
    });
  }

  /**
   * With `transferFrom`: the next unclaimed start configuration (the sources' best, claimed once across
   * workers), as softly fixed parameters; a source value the study's distribution lacks is sampled.
   */
  async reserveTrial(study: StudyView): Promise<Record<string, unknown>> {
    if (this.transfer === null || this.o.transferStartTrials === 0 || this.started.get(study.storage, study.studyId)) return {};
    const attrs = await claimStartTrial(study, await this.transfer.startConfigurations(this.o.transferStartTrials));
    if (attrs === null) this.started.set(study.storage, study.studyId, true);
    return attrs ?? {};
  }

  async inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): Promise<Record<string, Distribution>> {
    if (study.directions.length !== 1) {
      throw new InvalidArgumentError(
        `GPSampler supports single-objective studies only; study ${JSON.stringify(study.studyName)} has ${study.directions.length} objectives`,
      );
    }
    // The independent sampler (TPE by default) reads its history at ask(), for its sampleIndependent calls.
    await this.o.independentSampler.inferRelativeSearchSpace(study, trial);
    if (this.tooLarge.get(study.storage, study.studyId)) return {};
    const trials = await study.getTrials({ states: [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL] });
    const usable = trials.filter((t) => this.usable(t));
    // The intersection (main GP) and every conditional group outside it (a GP each, see propose).
    const main = gpSpace(usable.length === 0 ? failedSpace(trials) : intersectionSearchSpace(usable, { includePruned: true }));
    const groups = usable.length === 0 ? [] : groupDecomposedSearchSpace(usable, { includePruned: true })
      .map((g) => gpSpace(pick(g, Object.keys(g).filter((name) => !(name in main)))));
    const dims = Math.max(Object.keys(main).length + (this.o.multiFidelity !== null ? 1 : 0), ...groups.map((g) => Object.keys(g).length));
    if (dims > MAX_GP_DIMS) {
      this.leaveToIndependent(study, dims);
      return {};
    }
    return gpSpace(Object.assign({}, main, ...groups) as Record<string, Distribution>);
  }

  /** From now on this study's parameters are the independent sampler's (its space is too large for a GP). */
  private leaveToIndependent(study: StudyView, dims: number): void {
    this.tooLarge.set(study.storage, study.studyId, true);
    warnOnce(
      'TUNABLE_GP_TOO_MANY_PARAMETERS',
      `GPSampler: the search space of study ${JSON.stringify(study.studyName)} needs a Gaussian process over ${dims} dimensions, ` +
        `more than the ${MAX_GP_DIMS} it can model; its parameters are sampled by the independent sampler from now on`,
      `TUNABLE_GP_TOO_MANY_PARAMETERS:${study.studyId}:${study.studyName}`,
    );
  }

  async sampleRelative(study: StudyView, trial: FrozenTrial, searchSpace: Record<string, Distribution>): Promise<Record<string, number>> {
    const space = gpSpace(searchSpace);
    if (Object.keys(space).length === 0 || this.tooLarge.get(study.storage, study.studyId)) return {};
    const run = this.queue.then(() => this.propose(study, trial, space));
    this.queue = run.catch(() => undefined);
    return run;
  }

  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): number {
    return this.fallback.sampleIndependent(study, trial, name, distribution);
  }

  async afterTrial(study: StudyView, trial: FrozenTrial, state: TrialState, values: readonly number[] | null): Promise<void> {
    await this.fallback.afterTrial(study, trial, state, values);
  }

  private usable(t: FrozenTrial): boolean {
    if (t.state === TrialState.COMPLETE) return true;
    if (t.state !== TrialState.PRUNED) return false;
    return this.o.considerPrunedTrials || (this.o.multiFidelity !== null && t.intermediateValues.size > 0);
  }

  /** The value a usable trial is modelled with (larger is better), or null when it has none that is finite. */
  private valueOf(t: FrozenTrial, sign: number): number | null {
    let v = t.values?.[0];
    if (v === undefined && t.state === TrialState.PRUNED) {
      let step = -Infinity;
      for (const [s, iv] of t.intermediateValues) if (s > step) [step, v] = [s, iv];
    }
    return v !== undefined && Number.isFinite(v) ? sign * v : null;
  }

  /**
   * The relative sample of one trial: the intersection space by the main GP (or Sobol' during the
   * start), then each conditional group (parameters that always appear together outside the
   * intersection: one branch) by a GP of its own on the trials that have it, once there are enough.
   */
  private async propose(study: StudyView, trial: FrozenTrial, searchSpace: Record<string, Distribution>): Promise<Record<string, number>> {
    const trials = (await study.getTrials()).filter((t) => t.trialId !== trial.trialId);
    const usable = trials.filter((t) => this.usable(t));
    const inter = usable.length > 0 ? intersectionSearchSpace(usable, { includePruned: true }) : searchSpace;
    const main = gpSpace(pick(searchSpace, Object.keys(inter)));
    const first = Object.keys(main).length > 0 ? await this.proposeIn(study, trial, trials, main, true) : { params: {}, fitted: false };
    const params = first.params;
    if (Object.keys(params).length > 0 && first.fitted) this.fallback.markJoint(study, trial);
    for (const group of groupDecomposedSearchSpace(usable, { includePruned: true })) {
      const g = gpSpace(pick(searchSpace, Object.keys(group).filter((name) => !(name in inter))));
      const d = Object.keys(g).length;
      if (d === 0) continue;
      // A group's GP starts once its trials outnumber twice its dimension (and at most nStartupTrials are asked for).
      Object.assign(params, (await this.proposeIn(study, trial, trials, g, false, Math.max(3, Math.min(this.o.nStartupTrials, 2 * d + 1)))).params);
    }
    await study.storage.setTrialSystemAttr(trial.trialId, PARAMS_ATTR, params);
    return params;
  }

  /**
   * One GP proposal on `space` from the trials that have all of it. With fewer than `minTrials` of them:
   * the Sobol' point of this trial (`main`), or nothing (a group: left to the independent sampler).
   * `fitted`: whether a GP proposed the parameters (rather than the Sobol' start).
   */
  private async proposeIn(study: StudyView, trial: FrozenTrial, trials: readonly FrozenTrial[], space: Record<string, Distribution>,
    main: boolean, minTrials = this.o.nStartupTrials): Promise<Proposal> {
    const enc = new Encoding(space);
    const sign = study.directions[0] === 'maximize' ? 1 : -1;
    if (main && this.o.multiFidelity !== null) return this.proposeMultiFidelity(study, trial, trials, space, enc, sign, this.o.multiFidelity);
    const X: number[] = [];
    const values: number[] = [];
    const pending: number[] = [];
    for (const t of trials) {
      if (this.usable(t)) {
        const v = this.valueOf(t, sign);
        const x = v === null ? null : enc.encodeTrial(t);
        if (x !== null) {
          X.push(...x);
          values.push(v!);
        }
      } else if (t.state === TrialState.RUNNING) {
        const x = runningPoint(enc, t);
        if (x !== null) pending.push(...x);
      }
    }
    const sources = main && this.transfer !== null ? await this.transfer.models(spaceKey(space), enc) : [];
    if (values.length < (sources.length > 0 ? TRANSFER_MIN_TRIALS : minTrials)) {
      return { params: main ? enc.decodeUniform(this.sobol(enc.d).at(trial.number)) : {}, fitted: false };
    }
    const input = { enc, X: Float64Array.from(X), y: transformValues(values, this.o.outputWarping), pending: Float64Array.from(pending) };
    const x = sources.length > 0
      ? await this.transferStep(study, trial, spaceKey(space), input, sources)
      : await this.step(study, trial, spaceKey(space), main, input);
    // null: the sources weigh nothing yet and a cold study would still be in its Sobol' start.
    if (x === null) return { params: enc.decodeUniform(this.sobol(enc.d).at(trial.number)), fitted: false };
    return { params: enc.decode(x), fitted: true };
  }

  /**
   * One fit and acquisition search on `key`'s space: warm-started from the last fit there, seeded by
   * (seed, trial number, key); the new hyperparameters are remembered (and, for the main space, stored
   * in the study for other processes). Returns the proposed point of the GP's input space.
   */
  private async step(study: StudyView, trial: FrozenTrial, key: string, main: boolean,
    input: Pick<StepInput, 'enc' | 'X' | 'y' | 'pending' | 'best'>): Promise<Float64Array> {
    const out = await gpStep({
      ...input,
      warm: await this.warmStart(study, key, main),
      fitSeed: deriveSeed(this.seed, TAG, trial.number, `fit${key}`),
      acqSeed: deriveSeed(this.seed, TAG, trial.number, `acq${key}`),
      o: this.o,
    });
    this.warmFor(study).set(key, out.hyperparameters);
    if (main) await study.storage.setStudySystemAttr(study.studyId, HYPER_ATTR, { space: key, ...out.hyperparameters });
    return out.x;
  }

  /**
   * One RGPE step on the main space (transfer.ts): as `step`, and the weights the sources got are
   * stored on the trial (TRANSFER_ATTR), so a study shows how far each source was trusted.
   */
  private async transferStep(study: StudyView, trial: FrozenTrial, key: string,
    input: Pick<StepInput, 'enc' | 'X' | 'y' | 'pending'>, sources: Parameters<typeof transferStep>[0]['sources']): Promise<Float64Array | null> {
    const out = await transferStep({
      ...input,
      sources,
      warm: await this.warmStart(study, key, true),
      fitSeed: deriveSeed(this.seed, TAG, trial.number, `fit${key}`),
      acqSeed: deriveSeed(this.seed, TAG, trial.number, `acq${key}`),
      weightSeed: deriveSeed(this.seed, TAG, trial.number, `rgpe${key}`),
      nStartupTrials: this.o.nStartupTrials,
      o: this.o,
    });
    this.warmFor(study).set(key, out.hyperparameters);
    await study.storage.setStudySystemAttr(study.studyId, HYPER_ATTR, { space: key, ...out.hyperparameters });
    const weights: Record<string, number> = {};
    sources.forEach((m, i) => (weights[m.name] = (weights[m.name] ?? 0) + out.weights[i]!));
    await study.storage.setTrialSystemAttr(trial.trialId, TRANSFER_ATTR, { weights, target: out.weights[sources.length]! });
    return out.x;
  }

  /**
   * The main space's proposal with `multiFidelity`: a GP over (x, budget) on every trial's reported
   * values (fidelity.ts), LogEI maximised with the budget pinned to the full one, the incumbent the best
   * full-budget value (the best of any budget while none has finished). Running trials are pending at
   * the full budget. The Sobol' start lasts until `nStartupTrials` trials have reported something.
   */
  private async proposeMultiFidelity(study: StudyView, trial: FrozenTrial, trials: readonly FrozenTrial[], space: Record<string, Distribution>,
    enc: Encoding, sign: number, f: ResolvedFidelity): Promise<Proposal> {
    const data = fidelityData(trials, enc, sign, f);
    if (data.trials < this.o.nStartupTrials) return { params: enc.decodeUniform(this.sobol(enc.d).at(trial.number)), fitted: false };
    const pending: number[] = [];
    for (const t of trials) {
      if (t.state !== TrialState.RUNNING) continue;
      const x = runningPoint(enc, t);
      if (x !== null) pending.push(...x, 1);
    }
    const y = transformValues(data.values, this.o.outputWarping);
    let best = -Infinity;
    for (const i of data.full.length > 0 ? data.full : y.keys()) best = Math.max(best, y[i]!);
    const x = await this.step(study, trial, `${spaceKey(space)}|budget`, true, {
      enc: { d: enc.d + 1, categorical: enc.categorical, integer: [...enc.integer, { dim: enc.d, values: [1] }] },
      X: Float64Array.from(data.X),
      y,
      best,
      pending: Float64Array.from(pending),
    });
    return { params: enc.decode(x.subarray(0, enc.d)), fitted: true };
  }

  private warmFor(study: StudyView): Map<string, Hyperparameters> {
    let m = this.warm.get(study.storage, study.studyId);
    if (m === undefined) this.warm.set(study.storage, study.studyId, (m = new Map()));
    return m;
  }

  /** The last fit's hyperparameters on this space: this instance's, else (main space) another process's from the study. */
  private async warmStart(study: StudyView, key: string, main: boolean): Promise<Hyperparameters | undefined> {
    const mine = this.warmFor(study).get(key);
    if (mine !== undefined || !main) return mine;
    const stored = (await study.storage.getStudySystemAttrs(study.studyId))[HYPER_ATTR];
    return parseStored(stored, key);
  }

  private sobol(d: number): Sobol {
    let s = this.sobols.get(d);
    if (s === undefined) this.sobols.set(d, (s = new Sobol(d, { scramble: true, seed: this.seed })));
    return s;
  }
}

/** One space's proposal: its parameters, and whether a GP made them (else the Sobol' start, or nothing). */
interface Proposal {
  readonly params: Record<string, number>;
  readonly fitted: boolean;
}

/** The entries of `space` named in `names`, in sorted order. */
function pick(space: Record<string, Distribution>, names: readonly string[]): Record<string, Distribution> {
  const out: Record<string, Distribution> = {};
  for (const name of [...names].sort()) if (space[name] !== undefined) out[name] = space[name]!;
  return out;
}

/** Hyperparameters stored by a GPSampler for this space, validated (anything else: no warm start). */
function parseStored(v: unknown, key: string): Hyperparameters | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  const ls = o.lengthscales;
  if (o.space !== key || !Array.isArray(ls) || !ls.every((l) => finite(l) && l > 0)) return undefined;
  if (!finite(o.outputscale) || !finite(o.noise) || !finite(o.mean) || o.outputscale <= 0 || o.noise <= 0) return undefined;
  return { lengthscales: ls as number[], outputscale: o.outputscale, noise: o.noise, mean: o.mean };
}

/**
 * The parameters every FAIL (or unused PRUNED) trial has with one distribution: the startup space of a
 * study with no usable trial, so its Sobol' start goes on even when every trial fails.
 */
function failedSpace(trials: readonly FrozenTrial[]): Record<string, Distribution> {
  // intersectionSearchSpace looks at COMPLETE trials only; present the others as such.
  const failed = trials.filter((t) => t.state === TrialState.FAIL || t.state === TrialState.PRUNED).map((t) => ({ ...t, state: TrialState.COMPLETE }));
  return intersectionSearchSpace(failed);
}
