/**
 * Population-based training for tfjs LayersModels (run.ts), its checkpoint stores (store.ts,
 * folder-store.ts) and the records it leaves in the study (schedule.ts). See docs/pbt.md.
 */
export { populationBasedTraining } from './run.js';
export type { PopulationBasedTrainingOptions, PbtBuildContext, PbtTrainContext } from './options.js';
export { memoryCheckpointStore, type CheckpointStore, type CheckpointArtifacts } from './store.js';
export { folderCheckpointStore, type FolderCheckpointStore, type FolderCheckpointStoreOptions } from './folder-store.js';
export { saveModel as saveModelCheckpoint, loadIntoModel as loadModelCheckpoint } from './model-io.js';
export {
  ATTR_CONFIG as PBT_CONFIG_ATTR,
  ATTR_MEMBER as PBT_MEMBER_ATTR,
  ATTR_REPLACES as PBT_REPLACES_ATTR,
  ATTR_SCHEDULE as PBT_SCHEDULE_ATTR,
  type PbtFailure,
  type PbtMemberResult,
  type PbtResult,
  type ScheduleAction,
  type ScheduleEntry,
  type ScheduleSource,
} from './schedule.js';
export type { ExploreStep, Hyperparameters as PbtHyperparameters } from './space.js';
