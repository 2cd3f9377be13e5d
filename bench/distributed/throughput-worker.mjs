/**
 * One worker of bench/distributed/throughput.ts: loads the study, says `ready`, waits for `go` on stdin,
 * runs its trials of the 6-parameter objective of bench/reference/optuna_pg.py (random sampler), says
 * `done`. Runs the built package (dist/), so a worker starts in a fraction of a second.
 * argv: storageUrl studyName trials seed
 */
import { createInterface } from 'node:readline';
import { loadStudy, RandomSampler } from '../../dist/index.js';

const [url, studyName, trialsArg, seedArg] = process.argv.slice(2);
const study = await loadStudy({ storage: url, studyName, sampler: new RandomSampler({ seed: Number(seedArg) }) });
await study.getTrials();  // connected, schema checked
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line === 'go') break;
await study.optimize((t) => {
  let s = 0;
  for (let i = 0; i < 6; i++) s += (t.suggestFloat(`x${i}`, -5, 5) - 1) ** 2;
  return s;
}, { nTrials: Number(trialsArg) });
await study.storage.close();
process.stdout.write('done\n');
process.exit(0);
