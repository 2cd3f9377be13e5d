/**
 * How well a short training ranks the digits MLPs by their final validation accuracy: what Hyperband
 * relies on when it stops trainings early. `--trials` random configurations (RandomSampler, seeded) are
 * trained the full 27 epochs with seeded training, reporting validation accuracy every epoch. Then, for
 * each rung a Hyperband with minResource 1 and η = 3 uses (epochs 1, 3, 9):
 *   - Spearman's rank correlation between accuracy at that epoch and at epoch 27;
 *   - how often the configuration best at epoch 27 is in the top third at that epoch (it survives one
 *     η = 3 cut there);
 *   - the final accuracy of the top third at that epoch, against the final accuracy of the best
 *     configuration (what a cut there keeps).
 *
 * Run: node --import tsx bench/tfjs/curves.ts [--trials 40 --seeds 0,1]
 */
import { parseArgs } from 'node:util';
import { createStudy, NopPruner, RandomSampler, TrialState } from '../../src/index.js';
import { loadTf, mlpObjective } from '../../src/tfjs/index.js';
import { EPOCHS, loadDigits, SPACE } from '../../examples/digits/task.js';

const { values: flags } = parseArgs({ options: { trials: { type: 'string', default: '40' }, seeds: { type: 'string', default: '0,1' } } });
const nTrials = Number(flags.trials);
const seeds = flags.seeds.split(',').map(Number);
const RUNGS = [1, 3, 9];

/** Ranks (average ranks for ties), 1 = smallest. */
function ranks(v: readonly number[]): number[] {
  const idx = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    for (let k = i; k <= j; k++) r[idx[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const m = (ra.length + 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i]! - m) * (rb[i]! - m);
    da += (ra[i]! - m) ** 2;
    db += (rb[i]! - m) ** 2;
  }
  return num / Math.sqrt(da * db);
}

const backend = await loadTf();
console.log(`# Learning-curve rank fidelity, digits MLP (${nTrials} random configurations × ${EPOCHS} epochs per seed; tfjs ${backend.description})\n`);
console.log('| seed | rung (epoch) | Spearman ρ with epoch 27 | final best in the top third there | mean final acc of that top third | final best |');
console.log('|---:|---:|---:|:---:|---:|---:|');
for (const seed of seeds) {
  const data = loadDigits(seed);
  const study = await createStudy({ direction: 'maximize', sampler: new RandomSampler({ seed }), pruner: new NopPruner() });
  await study.optimize(mlpObjective(data, { epochs: EPOCHS, space: SPACE, seed }), { nTrials });
  const done = study.trials.filter((t) => t.state === TrialState.COMPLETE);
  const final = done.map((t) => t.intermediateValues.get(EPOCHS - 1) ?? t.values![0]!);
  const best = Math.max(...final);
  for (const rung of RUNGS) {
    const early = done.map((t) => t.intermediateValues.get(rung - 1)!);
    const order = early.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
    const top = order.slice(0, Math.ceil(done.length / 3)).map(([, i]) => i);
    const kept = top.some((i) => final[i] === best);
    const meanTop = top.reduce((s, i) => s + final[i]!, 0) / top.length;
    console.log(`| ${seed} | ${rung} | ${spearman(early, final).toFixed(2)} | ${kept ? 'yes' : 'no'} | ${(100 * meanTop).toFixed(2)} % | ${(100 * best).toFixed(2)} % |`);
  }
  data.dispose?.();
}
