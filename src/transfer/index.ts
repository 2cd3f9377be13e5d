/** Transfer learning: source studies that inform a new study (source.ts) and its start (start.ts). */
export {
  bestConfigurations,
  checkSources,
  loadSources,
  mapSource,
  mapValue,
  NO_OVERLAP_CODE,
  orientation,
  rankedTrials,
  sameConfiguration,
  startConfigurations,
  warnNoOverlap,
  type LoadedSource,
  type MappedSource,
  type StartConfiguration,
  type TransferSource,
  type TransferStorageRef,
  type TransferStudy,
} from './source.js';
export {
  claimStartTrial,
  enqueueFromSources,
  softFixedAttrs,
  SOURCE_ATTR,
  START_ATTR_PREFIX,
  triedConfigurations,
  type EnqueueFromSourcesOptions,
} from './start.js';
