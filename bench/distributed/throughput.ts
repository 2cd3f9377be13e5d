/**
 * Trials per second of W workers (processes) sharing one study on PostgreSQL, random sampler, the cheap
 * 6-parameter objective of bench/reference/optuna_pg.py; then that script (Optuna 3.1 RDB storage,
 * psycopg2) on the same server in the same run.
 *
 * Timing: tunable's workers are started, load the study and connect, then all start at one signal; the
 * clock runs from the signal until the last worker is done (node's start-up is left out, as forking
 * leaves Python's imports out of Optuna's figure). Optuna's clock covers fork, load_study and its trials.
 *
 * Run: npm run build:ts && node --import tsx bench/distributed/throughput.ts
 *        [--workers 1,2,4,8,16,32] [--trials 200] [--optuna-trials 50] [--no-optuna] [--url postgresql://…]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createStudy } from '../../src/index.js';
import pg from 'pg';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
};
const WORKERS = arg('workers', '1,2,4,8,16,32').split(',').map(Number);
const TRIALS = Number(arg('trials', '200'));
const OPTUNA_TRIALS = Number(arg('optuna-trials', '50'));
const BASE = arg('url', 'postgresql://postgres@127.0.0.1:5432/test');
const WORKER = join(import.meta.dirname, 'throughput-worker.mjs');

interface Row { workers: number; trials: number; seconds: number; exact: boolean }

function child(url: string, name: string, seed: number): { proc: ChildProcess; ready: Promise<void>; done: Promise<void> } {
  const proc = spawn(process.execPath, [WORKER, url, name, String(TRIALS), String(seed)], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, TUNABLE_LOG: 'warning' } });
  let out = '';
  let onReady!: () => void;
  let onDone!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const done = new Promise<void>((resolve, reject) => {
    onDone = resolve;
    proc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}: ${out}`))));
  });
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready')) onReady();
    if (out.includes('done')) onDone();
  });
  return { proc, ready, done };
}

async function tunable(workers: number): Promise<Row> {
  const schema = `bench_tp_${process.pid}_${workers}`;
  const url = `${BASE}?schema=${schema}`;
  const name = `throughput-${workers}`;
  const study = await createStudy({ storage: url, studyName: name });
  try {
    const kids = Array.from({ length: workers }, (_, i) => child(url, name, i));
    await Promise.all(kids.map((k) => k.ready));
    const t0 = performance.now();
    for (const k of kids) k.proc.stdin!.write('go\n');
    await Promise.all(kids.map((k) => k.done));
    const seconds = (performance.now() - t0) / 1000;
    const trials = await study.getTrials();
    const numbers = trials.map((t) => t.number).sort((a, b) => a - b);
    const exact = numbers.length === workers * TRIALS && numbers.every((n, i) => n === i) && trials.every((t) => t.state === 'COMPLETE' && t.values !== null);
    return { workers, trials: trials.length, seconds, exact };
  } finally {
    await study.storage.close();
    await dropSchema(schema);
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: BASE });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

function optuna(workers: readonly number[]): Map<number, Row> {
  const script = join(import.meta.dirname, '..', 'reference', 'optuna_pg.py');
  const pyUrl = BASE.replace(/^postgres(ql)?:\/\//, 'postgresql+psycopg2://');
  const r = spawnSync('/usr/bin/python3', [script, workers.join(','), String(OPTUNA_TRIALS), pyUrl], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`optuna_pg.py failed: ${r.stderr}`);
  const rows = new Map<number, Row>();
  for (const m of r.stdout.matchAll(/workers\s+(\d+) x (\d+):\s+([\d.]+) s,\s+[\d.]+ trials\/s, (\d+) trials, numbers exactly once: (\w+)/g)) {
    rows.set(Number(m[1]), { workers: Number(m[1]), trials: Number(m[4]), seconds: Number(m[3]), exact: m[5] === 'True' });
  }
  return rows;
}

const ours: Row[] = [];
for (const w of WORKERS) {
  const row = await tunable(w);
  ours.push(row);
  console.log(`tunable ${w} workers × ${TRIALS}: ${row.seconds.toFixed(2)} s, ${(row.trials / row.seconds).toFixed(1)} trials/s, exact: ${row.exact}`);
}
const theirs = process.argv.includes('--no-optuna') ? new Map<number, Row>() : optuna(WORKERS);
const rate = (r: Row | undefined) => (r === undefined ? NaN : r.trials / r.seconds);
console.log(`\n| workers | tunable trials/s | ms per trial per worker | numbers exactly once | Optuna 3.1 trials/s (same run) | tunable / Optuna |`);
console.log('|---|---|---|---|---|---|');
for (const r of ours) {
  const o = theirs.get(r.workers);
  console.log(
    `| ${r.workers} | ${rate(r).toFixed(1)} | ${((r.seconds * 1000) / TRIALS).toFixed(2)} | ${r.exact ? 'yes' : 'NO'} | ` +
      `${o === undefined ? '–' : `${rate(o).toFixed(1)}${o.exact ? '' : ' (numbers NOT exact)'}`} | ${o === undefined ? '–' : `${(rate(r) / rate(o)).toFixed(1)}×`} |`,
  );
}
if (ours.some((r) => !r.exact)) process.exitCode = 1;
