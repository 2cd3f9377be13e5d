/**
 * Neural architecture search for TensorFlow.js models of tabular data (docs/nas.md):
 *
 *   nas.sequential(trial, space)   a trial's choices → a layer-by-layer model (conditional depth, kinds,
 *                                  widths, activations, normalisation, dropout, skip connections)
 *   nas.cell(trial, space)         a trial's choices → a stack of cells, each a small DAG of ops
 *   nas.darts({ tf, data, space, epochs, seed })   differentiable search of a cell space (first-order DARTS)
 *   nas.fromArchitecture(arch)     rebuilds a model from a trial's `nas:architecture` or DARTS' result
 *   nas.cost(model)                parameters and multiply-add FLOPs per example
 *
 * The models are not compiled (`nas.lossFor(activation)` names the loss for the output); every helper
 * uses the user's tfjs instance. Choices that cannot be built throw ArchitectureError naming the choice.
 */
import { lossFor } from './build.js';
import { cost } from './cost.js';
import { darts, discretise } from './darts.js';
import { cell, fromArchitecture, sequential, ARCHITECTURE_ATTR, FLOPS_ATTR, PARAMS_ATTR } from './models.js';

export const nas = Object.freeze({
  sequential,
  cell,
  darts,
  fromArchitecture,
  cost,
  /** The same as cost(): parameters and FLOPs of a model. */
  summary: cost,
  lossFor,
  discretise,
  attrs: Object.freeze({ params: PARAMS_ATTR, flops: FLOPS_ATTR, architecture: ARCHITECTURE_ATTR }),
});

export type { NasBuildOptions } from './models.js';
export type { ModelCost, LayerCost } from './cost.js';
export type { DartsData, DartsOptions, DartsEpoch, DartsResult, RetrainEpoch } from './darts.js';
export type {
  Architecture,
  CellArchitecture,
  CellNode,
  CellOp,
  CellSpace,
  IntRange,
  LayerKind,
  LayerSpec,
  NasActivation,
  Normalization,
  OutputActivation,
  OutputSpec,
  SequentialArchitecture,
  SequentialSpace,
} from './space.js';
