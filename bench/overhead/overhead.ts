/**
 * Per-trial overhead of the study loop with the random sampler: 1000 trials of a cheap 6-parameter
 * objective (the one in bench/reference/optuna_overhead.py), in memory and on a SQLite file; then
 * Optuna's own script in the same run, so the ratio is measured side by side.
 * Run: npm run bench:overhead        (add --no-optuna to skip the peer)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStudy, RandomSampler, type Trial } from '../../src/index.js';

const N = 1000;

function objective(t: Trial): number {
  let s = 0;
  for (let i = 0; i < 6; i++) s += (t.suggestFloat(`x${i}`, -1, 1) - 0.1 * i) ** 2;
  return s;
}

async function timed(storage: string): Promise<number> {
  const study = await createStudy({ storage, sampler: new RandomSampler({ seed: 0 }) });
  const t0 = performance.now();
  await study.optimize(objective, { nTrials: N });
  const ms = (performance.now() - t0) / N;
  if (study.trials.length !== N) throw new Error(`expected ${N} trials, got ${study.trials.length}`);
  return ms;
}

const dir = mkdtempSync(join(tmpdir(), 'tunable-bench-'));
try {
  await timed('memory:'); // warm-up (JIT)
  const rows: [string, number][] = [];
  for (let rep = 0; rep < 3; rep++) {
    rows.push(['memory', await timed('memory:')]);
    rows.push(['sqlite', await timed(`sqlite:${join(dir, `b${rep}.db`)}`)]);
  }
  const median = (k: string) => rows.filter((r) => r[0] === k).map((r) => r[1]).sort((a, b) => a - b)[1]!;
  const mem = median('memory');
  const sql = median('sqlite');
  console.log(`tunable random, in memory: ${mem.toFixed(3)} ms/trial (median of 3 × ${N} trials)`);
  console.log(`tunable random, SQLite file: ${sql.toFixed(3)} ms/trial (median of 3 × ${N} trials)`);
  if (!process.argv.includes('--no-optuna')) {
    const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, '..', 'reference', 'optuna_overhead.py')], { encoding: 'utf8' });
    const out = r.stdout ?? '';
    process.stdout.write(out.split('\n').map((l) => (l ? `optuna: ${l}` : l)).join('\n'));
    const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
    const om = num(/random memory\s+([\d.]+)/);
    const os = num(/random sqlite\s+([\d.]+)/);
    console.log(`\n| sampler, storage | tunable | Optuna (same run) | Optuna / tunable |`);
    console.log(`|---|---|---|---|`);
    console.log(`| random, in memory | ${mem.toFixed(3)} ms | ${om.toFixed(3)} ms | ${(om / mem).toFixed(1)}× |`);
    console.log(`| random, SQLite file | ${sql.toFixed(3)} ms | ${os.toFixed(3)} ms | ${(os / sql).toFixed(1)}× |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
