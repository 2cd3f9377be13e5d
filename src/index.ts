/**
 * tunable: hyperparameter optimisation for Node.js.
 * Studies and trials (define-by-run, ask/tell), samplers, pruners, storages and the native GP engine.
 */
export * from './study/index.js';
export * from './errors.js';
export { setLogLevel, getLogLevel, type LogLevel } from './util/log.js';
export {
  floatDistribution,
  intDistribution,
  categoricalDistribution,
  type Distribution,
  type FloatDistribution,
  type IntDistribution,
  type CategoricalDistribution,
  type CategoricalChoice,
  type ParamValue,
} from './distributions/index.js';
export * from './samplers/index.js';
export * from './pruners/index.js';
export { createStorage, MemoryStorage, SqliteStorage, PostgresStorage, type StaleRetry, type Storage, type TrialTemplate } from './storage/index.js';
export { engine, GP } from './engine/index.js';
export type * from './engine/types.js';
export { enqueueFromSources, type EnqueueFromSourcesOptions, type TransferSource, type TransferStorageRef, type TransferStudy } from './transfer/index.js';
export {
  exportOptunaJournal,
  importOptunaJournal,
  importOptunaRdb,
  JournalStudyExistsError,
  NotRepresentableError,
  OptunaFormatError,
  type ExportSource,
  type ExportedStudy,
  type ImportedStudy,
  type ImportOptions,
} from './interop/optuna/index.js';
