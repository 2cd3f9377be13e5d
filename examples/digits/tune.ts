/**
 * Tunes a TensorFlow.js MLP on the digits data for validation accuracy: a model-based sampler (BOHB-style:
 * a GP fitted on the largest budget with enough observations) proposes layers, units, learning rate (log
 * scale), dropout, batch size and activation; Hyperband
 * stops unpromising trials after 2, 4 or 10 of their 27 epochs; trials live in a SQLite study, so a
 * run can be inspected (`tunable trials --storage ...`) or resumed (`--study NAME`). At the end the best
 * parameters are retrained from scratch and evaluated once on the held-out test split.
 *
 * Run: npm run example:digits [-- --trials 1000 --timeout 540 --epochs 27 --seed 0 --storage sqlite:FILE --study NAME]
 * About 10 minutes at the defaults: the 540 s timeout ends the tuning (1000 trials would take longer on a
 * 2-core CPU with the wasm backend), then the best parameters are retrained once.
 *
 * In a project of your own the imports are `from 'tunable'` and `from 'tunable/tfjs'`.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BOHBSampler, createStudy, GPSampler, HyperbandPruner, TrialState, type FrozenTrial, type Study } from '../../src/index.js';
import { buildMlp, disposeModel, loadTf, mlpObjective, mlpParamsFrom, trainAndEvaluate } from '../../src/tfjs/index.js';
import { EPOCHS, loadDigits, SPACE } from './task.js';

const { values: flags } = parseArgs({
  options: {
    trials: { type: 'string', default: '1000' },
    timeout: { type: 'string', default: '540' },
    epochs: { type: 'string', default: String(EPOCHS) },
    seed: { type: 'string', default: '0' },
    storage: { type: 'string', default: `sqlite:${join(tmpdir(), 'tunable-digits.db')}` },
    study: { type: 'string' },
  },
});
const nTrials = Number(flags.trials);
const timeout = Number(flags.timeout);
const epochs = Number(flags.epochs);
const seed = Number(flags.seed);

const started = performance.now();
const backend = await loadTf();
console.log(`TensorFlow.js backend: ${backend.description}`);
const data = loadDigits(seed);
console.log(`digits: ${data.sizes.train} train / ${data.sizes.valid} validation / ${data.sizes.test} test images`);

// The sampler is this one line: a TPESampler, a plain GPSampler or RandomSampler plug in the same way.
// BOHB around a GP did best in bench/tfjs/hyperband.ts (bench/RESULTS.md, "Hyperband on digits").
// Training is seeded (mlpObjective({ seed })), so a run with the same seed and trial sequence reproduces.
const sampler = new BOHBSampler({ sampler: new GPSampler({ seed, warnIndependentSampling: false }) });
// Brackets for 27 epochs with η = 3: the most aggressive judges trials after 2, 4 and 10 epochs.
const pruner = new HyperbandPruner({ minResource: 1, maxResource: epochs, reductionFactor: 3 });

const study = await createStudy({
  studyName: flags.study ?? `digits-mlp-${new Date().toISOString().replace(/[:.]/g, '-')}`,
  storage: flags.storage,
  direction: 'maximize',
  sampler,
  pruner,
  loadIfExists: true,
});
console.log(`study ${study.studyName} on ${flags.storage}; up to ${nTrials} trials or ${timeout} s, ${epochs} epochs each at most\n`);

let epochsSpent = 0;
await study.optimize(mlpObjective(data, { epochs, space: SPACE, seed }), {
  nTrials,
  timeout,
  callbacks: [(_s, t) => void (epochsSpent += t.intermediateValues.size, logTrial(t))],
});

const tuningSeconds = (performance.now() - started) / 1000;
const finished = study.trials;
const count = (s: TrialState) => finished.filter((t) => t.state === s).length;
console.log(
  `\n${finished.length} trials in ${tuningSeconds.toFixed(0)} s: ${count(TrialState.COMPLETE)} complete, ` +
    `${count(TrialState.PRUNED)} pruned, ${count(TrialState.FAIL)} failed; ${epochsSpent} epochs trained ` +
    `(${finished.length * epochs} without pruning)`,
);
printBest(study);

// Retrain the best parameters from scratch: the study's value is one training run's validation
// accuracy, picked as the best of many; the test split, never seen while tuning, says what it is worth.
const params = mlpParamsFrom(study.bestParams);
const { model } = buildMlp(params, { inputDim: data.inputDim, nClasses: data.nClasses, seed });
try {
  const r = await trainAndEvaluate(model, data, { epochs, batchSize: params.batchSize, seed });
  console.log(
    `retrained best model (${r.epochsRun} epochs, ${r.seconds.toFixed(1)} s): validation accuracy ${r.valid.accuracy.toFixed(4)}, ` +
      `test accuracy ${r.test!.accuracy.toFixed(4)} (test loss ${r.test!.loss.toFixed(4)})`,
  );
} finally {
  disposeModel(model);
  data.dispose();
}
console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);

function logTrial(t: FrozenTrial): void {
  const p = t.params;
  const desc = `layers=${p['layers']} units=${p['units']} lr=${(p['learningRate'] as number).toExponential(2)} dropout=${(p['dropout'] as number).toFixed(2)} batch=${p['batchSize']} ${p['activation']}`;
  const secs = t.datetimeStart && t.datetimeComplete ? ((t.datetimeComplete.getTime() - t.datetimeStart.getTime()) / 1000).toFixed(1) : '?';
  const value = t.values?.[0];
  const what =
    t.state === TrialState.COMPLETE
      ? `val_acc ${value!.toFixed(4)}`
      : t.state === TrialState.PRUNED
        ? `pruned  ${value === undefined ? '' : `(${value.toFixed(4)})`}`
        : `${t.state} ${String(t.systemAttrs['failReason'] ?? '').split('\n')[0]}`;
  console.log(`#${String(t.number).padStart(3)} ${what.padEnd(18)} ${String(t.intermediateValues.size).padStart(2)} ep ${secs.padStart(5)} s  ${desc}`);
}

function printBest(s: Study): void {
  const best = s.bestTrial;
  console.log(`best trial #${best.number}: validation accuracy ${best.values![0]!.toFixed(4)}`);
  for (const [k, v] of Object.entries(best.params)) console.log(`  ${k.padEnd(13)} ${typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(4) : v}`);
}
