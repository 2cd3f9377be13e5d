/**
 * A trial's suggestions → an architecture (define-by-run). Parameter names are stable:
 *
 *   sequential  nas:depth, then for each layer i < depth: nas:l<i>:kind, nas:l<i>:units,
 *               nas:l<i>:kernel (conv1d layers), nas:l<i>:activation, nas:l<i>:norm,
 *               nas:l<i>:dropout, nas:l<i>:skip
 *   cell        nas:width, nas:cells, then for each node j = 1..B and edge m: nas:n<j>:in<m> (the
 *               source node, 0 = the cell's input; only asked from node 2 on), nas:n<j>:op<m>
 *
 * Layer i's parameters are asked only when depth > i, and a choice with one possible value is not
 * asked at all, so a trial's parameters are exactly the choices that shaped its model.
 */
import type { Trial } from '../../study/trial.js';
import type {
  CellArchitecture,
  CellNode,
  CellOp,
  IntChoice,
  LayerSpec,
  ResolvedCellSpace,
  ResolvedSequentialSpace,
  SequentialArchitecture,
} from './space.js';

function suggestInt(trial: Trial, name: string, c: IntChoice): number {
  if (c.type === 'fixed') return c.value;
  if (c.type === 'choices') return trial.suggestCategorical(name, c.values);
  return trial.suggestInt(name, c.low, c.high, { log: c.log });
}

function suggestOne<T extends string | number | boolean>(trial: Trial, name: string, values: readonly T[]): T {
  return values.length === 1 ? values[0]! : trial.suggestCategorical(name, values);
}

export function suggestSequential(trial: Trial, s: ResolvedSequentialSpace): SequentialArchitecture {
  const depth = suggestInt(trial, 'nas:depth', s.depth);
  const layers: LayerSpec[] = [];
  for (let i = 0; i < depth; i++) {
    const p = `nas:l${i}:`;
    const kind = suggestOne(trial, `${p}kind`, s.kinds);
    const units = suggestInt(trial, `${p}units`, s.units);
    const kernelSize = kind === 'conv1d' ? suggestInt(trial, `${p}kernel`, s.kernelSize) : undefined;
    const activation = suggestOne(trial, `${p}activation`, s.activations);
    const norm = suggestOne(trial, `${p}norm`, s.normalization);
    const [dLo, dHi] = s.dropout;
    const dropout = dLo === dHi ? dLo : trial.suggestFloat(`${p}dropout`, dLo, dHi);
    const skip = s.skip === 'search' ? trial.suggestCategorical(`${p}skip`, [false, true]) : s.skip;
    layers.push({ kind, units, ...(kernelSize === undefined ? {} : { kernelSize }), activation, norm, dropout, skip });
  }
  return { type: 'sequential', inputShape: [s.inputDim], output: s.output, padding: s.padding, layers };
}

export function suggestCell(trial: Trial, s: ResolvedCellSpace): CellArchitecture {
  const width = suggestInt(trial, 'nas:width', s.width);
  const cells = suggestInt(trial, 'nas:cells', s.cells);
  const nodes: CellNode[] = [];
  for (let j = 1; j <= s.nodes; j++) {
    const inputs: number[] = [];
    const ops: CellOp[] = [];
    // Node 1 has one possible source (the cell's input): one edge, whose source is not asked.
    const edges = Math.min(s.inputsPerNode, j);
    const sources = Array.from({ length: j }, (_, i) => i);
    for (let m = 0; m < edges; m++) {
      inputs.push(suggestOne(trial, `nas:n${j}:in${m}`, sources));
      ops.push(suggestOne(trial, `nas:n${j}:op${m}`, s.ops));
    }
    nodes.push({ inputs, ops });
  }
  return { type: 'cell', inputShape: [s.inputDim], output: s.output, width, cells, nodes };
}
