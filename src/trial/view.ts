/** What samplers and pruners see of a study: its identity, storage and trials, never its internals. */
import type { Storage } from '../storage/base.js';
import type { FrozenTrial, StudyDirection } from './frozen.js';
import type { TrialState } from './state.js';

export interface StudyView {
  readonly studyId: number;
  readonly studyName: string;
  readonly directions: readonly StudyDirection[];
  readonly storage: Storage;
  getTrials(options?: { states?: readonly TrialState[] }): Promise<FrozenTrial[]>;
  /** Asks the optimize loop(s) of this process to stop after the trials now running. */
  stop(): void;
}
