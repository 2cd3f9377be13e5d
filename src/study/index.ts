export { createStudy, loadStudy, deleteStudy, getAllStudySummaries, Study } from './study.js';
export type { CreateStudyOptions, LoadStudyOptions, TellResult } from './study.js';
export { Trial } from './trial.js';
export type { SuggestFloatOptions, SuggestIntOptions } from './trial.js';
export type { Objective, ObjectiveResult, OptimizeOptions, OptimizeCallback } from './optimize.js';
export { TrialState, isFinished } from '../trial/index.js';
export type { FrozenTrial, StudyDirection, StudySummary } from '../trial/index.js';
export { trialsToRows, rowsToCsv } from './export.js';
export { paretoFront, dominates } from './pareto.js';
