/**
 * GPSampler on a conditional search space: how much does its independent sampler (for the parameters
 * outside the GP's intersection space) matter? Compares the default (a univariate TPESampler) with a
 * RandomSampler in that role; plain TPE and random search are shown for scale.
 *
 * The problem imitates model selection: a shared `x` (a preprocessing knob), a categorical `model` and
 * two branch parameters per model (log floats and ints), each branch a bowl with its own best value
 * (svm 0, tree 0.1, mlp 0.2) so both the branch choice and its parameters count. Regret = best − 0.
 *
 * Run: node --import tsx bench/regret/conditional.ts [-- --seeds 10 --budget 60]
 */
import { createStudy, GPSampler, RandomSampler, TPESampler, type Sampler, type Trial } from '../../src/index.js';
import { median, quartiles } from './stats.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = argv.indexOf(name);
  return i < 0 ? dflt : Number(argv[i + 1]);
};
const SEEDS = arg('--seeds', 10);
const BUDGET = arg('--budget', 60);

function objective(t: Trial): number {
  const x = t.suggestFloat('x', -1, 1);
  const shared = (x - 0.4) ** 2;
  const model = t.suggestCategorical('model', ['svm', 'tree', 'mlp']);
  if (model === 'svm') {
    const c = Math.log10(t.suggestFloat('svm_c', 1e-3, 1e3, { log: true }));
    const g = Math.log10(t.suggestFloat('svm_gamma', 1e-4, 1, { log: true }));
    return shared + ((c - 1.5) / 3) ** 2 + ((g + 2.5) / 2) ** 2;
  }
  if (model === 'tree') {
    const depth = t.suggestInt('tree_depth', 1, 32);
    const leaf = t.suggestInt('tree_min_leaf', 1, 64, { log: true });
    return 0.1 + shared + ((depth - 11) / 16) ** 2 + ((Math.log2(leaf) - 3) / 3) ** 2;
  }
  const lr = Math.log10(t.suggestFloat('mlp_lr', 1e-5, 1, { log: true }));
  const units = t.suggestInt('mlp_units', 8, 512, { step: 8 });
  return 0.2 + shared + ((lr + 3) / 2.5) ** 2 + ((units - 200) / 250) ** 2;
}

const SAMPLERS: Array<[string, (seed: number) => Sampler]> = [
  ['gp (independent: TPE, default)', (seed) => new GPSampler({ seed, warnIndependentSampling: false })],
  ['gp (independent: random)', (seed) => new GPSampler({ seed, warnIndependentSampling: false, independentSampler: new RandomSampler({ seed }) })],
  ['tpe', (seed) => new TPESampler({ seed })],
  ['random', (seed) => new RandomSampler({ seed })],
];

console.log(`Conditional problem (3 branches, 7 parameters, 3 per trial), budget ${BUDGET}, seeds 0–${SEEDS - 1}: regret median [q1, q3]`);
console.log('| sampler | regret | ms/trial |');
console.log('|---|---|---|');
for (const [name, make] of SAMPLERS) {
  const regrets: number[] = [];
  const times: number[] = [];
  for (let seed = 0; seed < SEEDS; seed++) {
    const study = await createStudy({ sampler: make(seed) });
    const t0 = performance.now();
    await study.optimize(objective, { nTrials: BUDGET });
    times.push((performance.now() - t0) / BUDGET);
    regrets.push(study.bestValue);
  }
  const q = quartiles(regrets);
  console.log(`| ${name} | ${q.median.toPrecision(3)} [${q.q1.toPrecision(3)}, ${q.q3.toPrecision(3)}] | ${median(times).toFixed(1)} |`);
}
