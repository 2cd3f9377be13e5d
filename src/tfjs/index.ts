/**
 * tunable/tfjs: TensorFlow.js integration. `loadTf()` picks the fastest backend available (tfjs-node-gpu,
 * tfjs-node, wasm, cpu; webgpu on request), `pruningCallback()` reports epochs to a trial and stops pruned
 * trials, and the MLP helpers build, train and evaluate a model from a trial's parameters. Beyond one
 * trial per configuration: `hypergradientSearch` (gradients of the validation loss with respect to
 * continuous hyperparameters), `populationBasedTraining` (members that copy and perturb the best every
 * few epochs) and `nas` (architecture spaces for any sampler, and DARTS).
 *
 * TensorFlow.js is an optional peer dependency and this module imports none of it when loaded: every
 * helper uses the user's instance (`useTf(tf)`, `loadTf({ tf })`, or the project's @tensorflow/tfjs).
 *
 *   const { tf, description } = await loadTf();
 *   const study = await createStudy({ direction: 'maximize', pruner: new HyperbandPruner() });
 *   await study.optimize(mlpObjective({ train, valid }, { epochs: 27 }), { nTrials: 50 });
 */
export { loadTf, useTf, TF_CANDIDATES, type LoadedTf, type LoadTfOptions, type TfAttempt, type TfCandidate, type TfModule, type WebGpuOptions, type WebGpuLike } from './load.js';
export { pruningCallback, PruningCallback, MonitorKeyError, type PruningCallbackOptions, type PruningCallbackConstructor } from './callback.js';
export { stratifiedSplit, toSplit, disposeSplit, type Split, type SplitIndices } from './data.js';
export {
  suggestMlpParams,
  mlpParamsFrom,
  buildMlp,
  trainAndEvaluate,
  evaluate,
  mlpObjective,
  disposeModel,
  SeededDropout,
  type SeededDropoutArgs,
  type SeededDropoutConstructor,
  type MlpActivation,
  type MlpSpace,
  type MlpParams,
  type BuildMlpOptions,
  type TrainData,
  type TrainOptions,
  type TrainResult,
  type Evaluation,
  type MlpObjectiveOptions,
} from './mlp.js';
export {
  nas,
  type NasBuildOptions,
  type ModelCost,
  type LayerCost,
  type DartsData,
  type DartsOptions,
  type DartsEpoch,
  type DartsResult,
  type RetrainEpoch,
  type Architecture,
  type CellArchitecture,
  type CellNode,
  type CellOp,
  type CellSpace,
  type IntRange,
  type LayerKind,
  type LayerSpec,
  type NasActivation,
  type Normalization,
  type OutputActivation,
  type OutputSpec,
  type SequentialArchitecture,
  type SequentialSpace,
} from './nas/index.js';
export {
  populationBasedTraining,
  memoryCheckpointStore,
  folderCheckpointStore,
  saveModelCheckpoint,
  loadModelCheckpoint,
  PBT_CONFIG_ATTR,
  PBT_MEMBER_ATTR,
  PBT_REPLACES_ATTR,
  PBT_SCHEDULE_ATTR,
  type PopulationBasedTrainingOptions,
  type PbtBuildContext,
  type PbtTrainContext,
  type CheckpointStore,
  type CheckpointArtifacts,
  type FolderCheckpointStore,
  type FolderCheckpointStoreOptions,
  type PbtFailure,
  type PbtMemberResult,
  type PbtResult,
  type ScheduleAction,
  type ScheduleEntry,
  type ScheduleSource,
  type ExploreStep,
  type PbtHyperparameters,
} from './pbt/index.js';
export {
  hypergradient,
  hypergradientSearch,
  Problem as HypergradientProblem,
  OnlineLearningRate,
  type HypergradientSearchOptions,
  type HypergradientSearchResult,
  type HypergradientHistoryEntry,
  type HypergradientMethod,
  type BuildModelContext,
  type HyperparameterSpace,
  type HyperRange,
  type WeightDecayRange,
  type DecayScope,
  type HyperData,
  type TrainingLossArgs,
  type TrainingLossHook,
  type ImplicitOptions,
  type UnrolledOptions,
  type Hypergradient,
  type OnlineLearningRateOptions,
} from './hypergradient/index.js';
