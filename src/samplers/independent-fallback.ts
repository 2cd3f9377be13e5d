/**
 * The part of a relative (joint) sampler that hands parameters outside its joint space to an independent
 * sampler: it remembers which running trials the joint model sampled, warns once per parameter name when
 * such a trial asks for a parameter the model does not cover (a single-value distribution is not worth a
 * warning), and forwards `sampleIndependent` / `afterTrial` to the independent sampler. GPSampler and
 * CmaEsSampler share it; only the warning's text and code differ.
 */
import { isSingle, type Distribution } from '../distributions/index.js';
import type { FrozenTrial, TrialState } from '../trial/index.js';
import type { Sampler, StudyView } from './base.js';
import { PerStorage } from './per-storage.js';

export interface IndependentFallbackOptions {
  /** The sampler's name, first in the warning. */
  readonly sampler: string;
  /** The rest of the warning: what the joint model covers, and how to silence it. */
  readonly reason: string;
  /** The warning's code (process.emitWarning). */
  readonly code: string;
  /** The sampler's `warnIndependentSampling` option. */
  readonly warn: boolean;
  readonly independentSampler: Sampler;
}

export class IndependentFallback {
  private readonly active = new PerStorage<true>();
  private readonly warned = new Set<string>();

  constructor(private readonly o: IndependentFallbackOptions) {}

  /** The joint model sampled this (running) trial: its other parameters are worth a warning. */
  markJoint(study: StudyView, trial: FrozenTrial): void {
    this.active.set(study.storage, trial.trialId, true);
  }

  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): number {
    if (this.o.warn && this.active.get(study.storage, trial.trialId) && !isSingle(distribution) && !this.warned.has(name)) {
      this.warned.add(name);
      process.emitWarning(
        `${this.o.sampler}: parameter ${JSON.stringify(name)} (first in trial ${trial.number}) is sampled by the independent sampler: ` +
          this.o.reason,
        { type: 'TunableWarning', code: this.o.code },
      );
    }
    return this.o.independentSampler.sampleIndependent(study, trial, name, distribution);
  }

  async afterTrial(study: StudyView, trial: FrozenTrial, state: TrialState, values: readonly number[] | null): Promise<void> {
    this.active.delete(study.storage, trial.trialId);
    if (this.o.independentSampler.afterTrial) await this.o.independentSampler.afterTrial(study, trial, state, values);
  }
}
