/**
 * The search-space helpers an objective calls: `nas.sequential(trial, space)` and
 * `nas.cell(trial, space)` suggest an architecture from the trial, build it with the user's tfjs
 * instance, and record its cost on the trial (user attributes `nas:params`, `nas:flops` and
 * `nas:architecture`, the JSON `nas.fromArchitecture` rebuilds the model from).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { ArchitectureError } from '../../errors.js';
import type { Trial } from '../../study/trial.js';
import { integer, invalid, options } from '../../validate.js';
import { tfFor, type TfModule } from '../instance.js';
import { buildCell, buildSequential } from './build.js';
import { cost, type ModelCost } from './cost.js';
import { checkArchitecture, resolveCellSpace, resolveSequentialSpace, type Architecture, type CellSpace, type SequentialSpace } from './space.js';
import { suggestCell, suggestSequential } from './suggest.js';

export interface NasBuildOptions {
  /** The TensorFlow.js instance (default: the one of useTf()/loadTf(), else the project's). */
  tf?: TfModule;
  /** Seeds the weight initialisers and dropout masks. */
  seed?: number;
  /** Refuse models with more parameters (ArchitectureError); with a space's `maxParams` the smaller applies. */
  maxParams?: number;
}

/** User attributes set on the trial. */
export const PARAMS_ATTR = 'nas:params';
export const FLOPS_ATTR = 'nas:flops';
export const ARCHITECTURE_ATTR = 'nas:architecture';

function resolveBuild(caller: string, opts: unknown): { tf: TfModule; seed?: number; maxParams: number } {
  const o = options<NasBuildOptions>(`${caller} options`, opts, ['tf', 'seed', 'maxParams']);
  const tf = tfFor(caller, o.tf);
  const maxParams = o.maxParams === undefined ? Infinity : integer('maxParams', o.maxParams, 1);
  return o.seed === undefined ? { tf, maxParams } : { tf, seed: integer('seed', o.seed, 0), maxParams };
}

/**
 * Builds `architecture` (from a trial's `nas:architecture`, `nas.darts`, or written by hand) into an
 * uncompiled model. Throws ArchitectureError for choices that cannot be built.
 */
export function fromArchitecture(architecture: Architecture, opts?: NasBuildOptions): tfTypes.LayersModel {
  const arch = checkArchitecture(architecture);
  const o = resolveBuild('fromArchitecture', opts);
  return withinBudget(arch, o.maxParams, () => (arch.type === 'sequential' ? buildSequential(arch, o) : buildCell(arch, o))).model;
}

/** Builds, then refuses (disposing the model) an architecture over `maxParams`. */
function withinBudget(arch: Architecture, maxParams: number, build: () => tfTypes.LayersModel): { model: tfTypes.LayersModel; cost: ModelCost } {
  const model = build();
  const c = cost(model);
  if (c.params > maxParams) {
    model.dispose();
    // The choice to blame: the widest searched layer of a sequential model, the cells' width otherwise.
    let choice = 'nas:width';
    let value: unknown = arch.type === 'cell' ? arch.width : undefined;
    if (arch.type === 'sequential') {
      const hidden = c.layers.filter((l) => /^l\d+_/.test(l.name)).sort((a, b) => b.params - a.params)[0];
      const i = hidden === undefined ? -1 : Number(/^l(\d+)_/.exec(hidden.name)![1]);
      choice = i < 0 ? 'nas:depth' : `nas:l${i}:units`;
      value = i < 0 ? arch.layers.length : arch.layers[i]!.units;
    }
    throw new ArchitectureError(
      choice,
      value,
      `The architecture has ${c.params} parameters, more than maxParams = ${maxParams} (${choice} = ${JSON.stringify(value)})`,
    );
  }
  return { model, cost: c };
}

function record(trial: Trial, arch: Architecture, c: ModelCost): void {
  trial.setUserAttr(PARAMS_ATTR, c.params);
  trial.setUserAttr(FLOPS_ATTR, c.flops);
  trial.setUserAttr(ARCHITECTURE_ATTR, arch);
}

function checkTrial(trial: unknown): Trial {
  if (trial === null || typeof trial !== 'object' || typeof (trial as Trial).suggestCategorical !== 'function') {
    throw invalid('trial', 'a Trial (the objective\'s argument, or study.ask())', trial);
  }
  return trial as Trial;
}

/**
 * A sequential (layer-by-layer, with optional residual connections) model from the trial's
 * suggestions; parameter names in suggest.ts. The model is not compiled.
 */
export function sequential(trial: Trial, space: SequentialSpace, opts?: NasBuildOptions): tfTypes.LayersModel {
  const t = checkTrial(trial);
  const s = resolveSequentialSpace(space);
  const o = resolveBuild('nas.sequential', opts);
  const arch = suggestSequential(t, s);
  const { model, cost: c } = withinBudget(arch, Math.min(s.maxParams, o.maxParams), () => buildSequential(arch, o));
  record(t, arch, c);
  return model;
}

/** A stack of cells (a small DAG of nodes and ops, see suggest.ts) from the trial's suggestions; not compiled. */
export function cell(trial: Trial, space: CellSpace, opts?: NasBuildOptions): tfTypes.LayersModel {
  const t = checkTrial(trial);
  const s = resolveCellSpace(space);
  const o = resolveBuild('nas.cell', opts);
  const arch = suggestCell(t, s);
  const { model, cost: c } = withinBudget(arch, Math.min(s.maxParams, o.maxParams), () => buildCell(arch, o));
  record(t, arch, c);
  return model;
}
