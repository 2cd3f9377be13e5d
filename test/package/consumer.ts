/**
 * A consumer of the installed package, type-checked by scripts/check-package.sh with strict options and
 * skipLibCheck: false (tsconfig.consumer.json), then run. It uses the README's API: createStudy, optimize,
 * ask/tell, samplers, pruners, engine.fitGP. Not part of the vitest suites.
 */
import {
  createStudy,
  engine,
  GPSampler,
  MedianPruner,
  TPESampler,
  TrialPruned,
  TunableError,
  type Trial,
} from 'tunable';

const objective = async (trial: Trial): Promise<number> => {
  const x = trial.suggestFloat('x', -10, 10);
  const n = trial.suggestInt('n', 1, 4);
  const act = trial.suggestCategorical('activation', ['relu', 'tanh']);
  if (act === 'relu') trial.suggestFloat('leak', 0, 0.3, { step: 0.05 });
  const value = (x - 2) ** 2 + n;
  trial.report(value, 0);
  if (await trial.shouldPrune()) throw new TrialPruned();
  return value;
};

const study = await createStudy({ studyName: 'consumer', sampler: new TPESampler({ seed: 0 }), pruner: new MedianPruner(), direction: 'minimize' });
await study.optimize(objective, { nTrials: 8 });
const best: number | undefined = study.bestValue;

const trial = await study.ask();
const y = trial.suggestFloat('x', -10, 10);
await study.tell(trial, y * y);

const backends: string[] = engine.backends();
let fitted: number[] = [];
if (backends.length > 0) {
  const gp = await engine.fitGP({ X: [[0.1], [0.5], [0.9]], y: [1, 0, 1], kernel: 'matern52', restarts: 1, seed: 0 });
  fitted = gp.hyperparameters.lengthscales;
  const next = await gp.maximizeAcquisition({ acquisition: 'logei', seed: 0 });
  fitted.push(next.value);
  gp.dispose();
  const gpStudy = await createStudy({ sampler: new GPSampler({ seed: 0 }) });
  await gpStudy.optimize((t) => t.suggestFloat('z', 0, 1), { nTrials: 3 });
}

try {
  trial.suggestFloat('bad', 1, 0);
} catch (e) {
  if (!(e instanceof TunableError)) throw e;
}

console.log(JSON.stringify({ trials: study.trials.length, best, backends, fitted: fitted.length }));
