/**
 * Screening for issue 6 (the bench of record is hyperband.ts): per seed, ONE no-pruning baseline
 * (`--trials` 30 × 27 epochs = E, sampler `--family`) and several Hyperband variants, each stopped once
 * E·`--budget` (default 1/3) epochs are spent; a trial that would cross the budget is not counted.
 * Rule fixed before any run, as in hyperband.ts: "reached" = the best final validation accuracy of a
 * COMPLETE trial (27 epochs trained) within the budget is >= the baseline's best.
 *
 * Variants are SAMPLER:MIN_RESOURCE with HyperbandPruner({ minResource, maxResource: 27, reductionFactor: 3 }):
 *   tpe, gp (PRUNED trials ignored), gp-pruned (GPSampler considerPrunedTrials), bohb (BOHBSampler, TPE),
 *   bohb-gp (BOHBSampler around a GPSampler).
 * `--target 354/359,...` reuses recorded baseline targets (per seed, in validation images) instead of
 * running the baseline; note that a rerun of the same seeded baseline moves its best by up to ~0.8 pp.
 *
 * Run: node --import tsx bench/tfjs/hb-screen.ts --family gp --variants gp-pruned:1,bohb-gp:1 --seeds 0,1,2
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BOHBSampler, createStudy, GPSampler, HyperbandPruner, NopPruner, TPESampler, TrialState, type Pruner, type Sampler } from '../../src/index.js';
import { loadTf, mlpObjective } from '../../src/tfjs/index.js';
import { EPOCHS, loadDigits, SPACE, type Digits } from '../../examples/digits/task.js';

const { values: flags } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    family: { type: 'string', default: 'gp' },
    variants: { type: 'string', default: 'gp-pruned:1,gp-pruned:3' },
    budget: { type: 'string', default: '0.3334' },
    trials: { type: 'string', default: '30' },
    target: { type: 'string' }, // comma list: reuse recorded baseline targets instead of running it
  },
});
const seeds = flags.seeds.split(',').map(Number);
const nTrials = Number(flags.trials);

function sampler(kind: string, seed: number): Sampler {
  switch (kind) {
    case 'tpe': return new TPESampler({ seed, multivariate: true, warnIndependentSampling: false });
    case 'gp': return new GPSampler({ seed, warnIndependentSampling: false });
    case 'gp-pruned': return new GPSampler({ seed, considerPrunedTrials: true, warnIndependentSampling: false });
    case 'bohb': return new BOHBSampler({ seed, tpe: { multivariate: true, warnIndependentSampling: false } });
    case 'bohb-gp': return new BOHBSampler({ sampler: new GPSampler({ seed, warnIndependentSampling: false }) });
    default: throw new Error(kind);
  }
}

async function run(data: Digits, seed: number, s: Sampler, pruner: Pruner, budget: number | null, dir: string, name: string) {
  const study = await createStudy({ studyName: name, storage: `sqlite:${join(dir, `${name}.db`)}`, direction: 'maximize', sampler: s, pruner });
  let spent = 0, best = 0, complete = 0;
  const t0 = performance.now();
  await study.optimize(mlpObjective(data, { epochs: EPOCHS, space: SPACE, seed }), {
    nTrials: budget === null ? nTrials : 100 * nTrials,
    callbacks: [(st, t) => {
      const next = spent + t.intermediateValues.size;
      if (budget !== null && next > budget) { st.stop(); spent = next; return; } // over budget: not counted
      spent = next;
      if (t.state === TrialState.COMPLETE) { best = Math.max(best, t.values![0]!); complete++; }
      if (budget !== null && spent >= budget) st.stop();
    }],
  });
  return { best, complete, trials: study.trials.length, spent, secs: (performance.now() - t0) / 1000 };
}

await loadTf();
const dir = mkdtempSync(join(tmpdir(), 'tunable-hb-screen-'));
const targets = flags.target?.split(',').map((s) => s.split('/').map(Number).reduce((a, b) => a / b));
const pct = (x: number) => (100 * x).toFixed(2);
try {
  for (const [i, seed] of seeds.entries()) {
    const data = loadDigits(seed);
    try {
      let target: number, E: number;
      if (targets) { target = targets[i]!; E = nTrials * EPOCHS; console.log(`seed ${seed} baseline (recorded): ${pct(target)}`); }
      else {
        const b = await run(data, seed, sampler(flags.family, seed), new NopPruner(), null, dir, `plain-${seed}`);
        target = b.best; E = b.spent;
        console.log(`seed ${seed} baseline ${flags.family}: best ${pct(b.best)} in ${b.spent} ep, ${b.secs.toFixed(0)} s`);
      }
      for (const v of flags.variants.split(',').filter(Boolean)) {
        const [kind, minR] = v.split(':');
        const budget = Math.floor(E * Number(flags.budget));
        const h = await run(data, seed, sampler(kind!, seed), new HyperbandPruner({ minResource: Number(minR), maxResource: EPOCHS, reductionFactor: 3 }), budget, dir, `hb-${kind}-${minR}-${seed}`);
        // Compared in validation images: a recorded target (k/359 in float64) against tfjs's float32 accuracy.
        const [got, want] = [Math.round(h.best * data.sizes.valid), Math.round(target * data.sizes.valid)];
        console.log(`seed ${seed} HB ${v}: best ${pct(h.best)} within ${budget} ep (${h.complete} complete of ${h.trials}, ${h.secs.toFixed(0)} s) target ${pct(target)} ${got >= want ? 'MET' : `short ${pct(target - h.best)} pp (${want - got} images)`}`);
      }
    } finally { data.dispose(); }
  }
} finally { rmSync(dir, { recursive: true, force: true }); }
