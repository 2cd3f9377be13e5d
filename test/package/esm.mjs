// The ES module entry points of the installed package, and which native engine they loaded.
import { createStudy, engine } from 'tunable';

const study = await createStudy();
await study.optimize((t) => (t.suggestFloat('x', -1, 1) - 0.25) ** 2, { nTrials: 5 });
console.log(JSON.stringify({
  trials: study.trials.length,
  sampler: study.sampler.constructor.name,
  backends: engine.backends(),
}));
