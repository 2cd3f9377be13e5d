/**
 * Records shared by the study, storages, samplers and pruners, below all of them: the trial states, the
 * frozen trial and study records, and the view of a study that samplers and pruners read.
 */
export { FINISHED_STATES, TrialState, isFinished } from './state.js';
export { trialValue, type FrozenTrial, type StudyDirection, type StudySummary } from './frozen.js';
export type { StudyView } from './view.js';
