/**
 * Batch-aware Bayesian optimisation across worker processes: do 32 workers that ask at the same moment
 * propose 32 different points, and what does running 32 at once cost in regret?
 *
 * 1. Spread. A study of `--problem` gets `--startup` COMPLETE trials from its own sampler, one after
 *    another; then `--workers` processes (batch-worker.ts) load it, meet at a barrier and ask() at once,
 *    each printing its proposal and exiting without telling. Reported: the median pairwise distance of
 *    the proposals in the unit cube, against that of as many uniform random points (mean of 200 draws),
 *    the smallest pairwise distance, and the wall time from the barrier to the last proposal.
 * 2. Regret. `--workers` processes run one study (ask, evaluate, `--eval-ms` of simulated work, tell)
 *    until it has `--trials` trials; against one process running as many trials one after another. The
 *    simple regret (best value − known minimum) per seed.
 *
 * Run: node --import tsx bench/distributed/batch.ts [options]
 *   --storage URL          default: the local PostgreSQL server, postgresql://postgres@127.0.0.1:5432/test,
 *                          in a fresh schema dropped afterwards; `sqlite` for a fresh SQLite file (one file,
 *                          many processes: the study lock is per process there, so workers see only their
 *                          own proposals at ask() and the spread is worse), or any storage URL (its studies
 *                          are deleted afterwards)
 *   --workers 32           processes per study
 *   --problem hartmann6    one of bench/regret/functions.ts (parameters scaled to [0, 1]^d)
 *   --startup 20           COMPLETE trials before the spread measurement
 *   --trials 96            trials per study in the regret section
 *   --seeds 0,1,2          sampler seeds (every worker of a study gets the study's seed)
 *   --eval-ms 300          simulated evaluation time in the regret section
 *   --samplers gp,gp-no-pending,tpe,tpe-no-liar      spread section
 *   --regret-samplers gp,gp-no-pending                regret section
 *                          (gp-no-pending: the GPSampler shown a study without RUNNING trials and asking
 *                          without the study lock, the control; gp-mean, gp-min, gp-max: the GPSampler with
 *                          the engine's `fantasy` forced to that value, to compare the pending-point
 *                          strategies; tpe-no-liar: TPESampler({ constantLiar: false }))
 *   --sections spread,regret
 * Prints markdown tables for bench/RESULTS.md.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createStorage } from '../../src/storage/index.js';
import type { Storage } from '../../src/storage/base.js';
import { TrialState } from '../../src/trial/index.js';
import { Rng } from '../../src/util/rng.js';
import { PROBLEMS, type Problem } from '../regret/functions.js';
import { g3, median } from '../regret/stats.js';
import type { Event, Job, SamplerKey } from './batch-worker.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'batch-worker.ts');
const LOCAL_PG = 'postgresql://postgres@127.0.0.1:5432/test';
const SAMPLER_KEYS: readonly SamplerKey[] = ['gp', 'gp-no-pending', 'gp-mean', 'gp-min', 'gp-max', 'tpe', 'tpe-no-liar'];
const SAMPLER_LABEL: Readonly<Record<SamplerKey, string>> = {
  gp: 'GPSampler',
  'gp-no-pending': 'GPSampler, RUNNING trials hidden (control)',
  'gp-mean': "GPSampler, fantasy 'mean' (kriging believer)",
  'gp-min': "GPSampler, fantasy 'min' (constant liar, smallest y)",
  'gp-max': "GPSampler, fantasy 'max' (constant liar, largest y)",
  tpe: 'TPESampler (constant liar, the default)',
  'tpe-no-liar': 'TPESampler (constantLiar: false)',
};
/** Connections per worker process on PostgreSQL: the held study lock and one for the queries. */
const WORKER_POOL = 2;

// ---- command line ----------------------------------------------------------------------------------

interface Options {
  readonly storage: string | null;
  readonly workers: number;
  readonly problem: Problem;
  readonly startup: number;
  readonly trials: number;
  readonly seeds: readonly number[];
  readonly evalMs: number;
  readonly samplers: readonly SamplerKey[];
  readonly regretSamplers: readonly SamplerKey[];
  readonly sections: readonly ('spread' | 'regret')[];
}

function parseArgs(argv: readonly string[]): Options {
  const defaults: Record<string, string> = {
    '--workers': '32', '--problem': 'hartmann6', '--startup': '20', '--trials': '96', '--seeds': '0,1,2', '--eval-ms': '300',
    '--samplers': 'gp,gp-no-pending,tpe,tpe-no-liar', '--regret-samplers': 'gp,gp-no-pending', '--sections': 'spread,regret',
  };
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i]!.split(/=(.*)/s) as [string, string | undefined];
    if (name !== '--storage' && !(name in defaults)) throw new Error(`unknown option ${name} (expected --storage, ${Object.keys(defaults).join(', ')})`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${name} needs a value`);
    given.set(name, value);
  }
  const get = (name: string): string => given.get(name) ?? defaults[name]!;
  const int = (name: string, min: number): number => {
    const v = Number(get(name));
    if (!Number.isInteger(v) || v < min) throw new Error(`${name}: expected an integer >= ${min}, got ${get(name)}`);
    return v;
  };
  const list = <T extends string>(name: string, allowed: readonly T[]): T[] => get(name).split(',').map((s) => {
    if (!(allowed as readonly string[]).includes(s)) throw new Error(`${name}: ${JSON.stringify(s)} is not one of ${allowed.join(', ')}`);
    return s as T;
  });
  const problem = PROBLEMS.find((p) => p.name === get('--problem'));
  if (problem === undefined) throw new Error(`--problem: expected one of ${PROBLEMS.map((p) => p.name).join(', ')}`);
  return {
    storage: given.get('--storage') ?? null,
    workers: int('--workers', 1),
    problem,
    startup: int('--startup', 0),
    trials: int('--trials', 1),
    seeds: get('--seeds').split(',').map((s) => Number(s)),
    evalMs: int('--eval-ms', 0),
    samplers: list('--samplers', SAMPLER_KEYS),
    regretSamplers: list('--regret-samplers', SAMPLER_KEYS),
    sections: list('--sections', ['spread', 'regret'] as const),
  };
}

// ---- storage ---------------------------------------------------------------------------------------

/** Where the studies go, how to name that in the tables, and how to clean up afterwards. */
interface Place {
  readonly url: string;
  /** The URL the workers use (a smaller connection pool on PostgreSQL). */
  readonly workerUrl: string;
  readonly label: string;
  readonly cleanup: (storage: Storage) => Promise<void>;
}

const isPostgres = (url: string): boolean => url.startsWith('postgres://') || url.startsWith('postgresql://');

function withQuery(url: string, key: string, value: string): string {
  const u = new URL(url);
  if (!u.searchParams.has(key)) u.searchParams.set(key, value);
  return u.toString();
}

function place(storage: string | null, studies: () => string[]): Place {
  if (storage === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tunable-batch-'));
    const url = `sqlite:${join(dir, 'batch.db')}`;
    return { url, workerUrl: url, label: 'SQLite (one file; study lock per process)', cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (storage === null) {
    const schema = `tunable_batch_${randomBytes(4).toString('hex')}`;
    const url = `${LOCAL_PG}?schema=${schema}`;
    return {
      url,
      workerUrl: withQuery(url, 'pool_size', String(WORKER_POOL)),
      label: `PostgreSQL (local server, schema ${schema}; study lock on the server)`,
      cleanup: async () => {
        const client = new pg.Client({ connectionString: LOCAL_PG });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await client.end();
        }
      },
    };
  }
  return {
    url: storage,
    workerUrl: isPostgres(storage) ? withQuery(storage, 'pool_size', String(WORKER_POOL)) : storage,
    label: isPostgres(storage) ? 'PostgreSQL (study lock on the server)' : storage,
    cleanup: async (s) => {
      for (const name of studies()) await s.deleteStudy(await s.getStudyIdFromName(name)).catch(() => undefined);
    },
  };
}

/** The storage at `url`, or null with the reason when it cannot be opened or used. */
async function open(url: string): Promise<Storage | string> {
  try {
    const s = createStorage(url);
    await s.getAllStudies();
    return s;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

// ---- workers ---------------------------------------------------------------------------------------

interface Run {
  readonly events: Event[];
  /** Date.now() when the barrier was released (null: no barrier in this mode). */
  readonly released: number | null;
}

/**
 * Runs `jobs` as processes. Modes with a barrier are released together once every process printed
 * READY; resolves when all have exited (rejects when one fails).
 */
function runWorkers(jobs: readonly Job[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const events: Event[] = [];
    const barrier = jobs[0]!.mode === 'spread' || jobs[0]!.mode === 'regret';
    let ready = 0;
    let exited = 0;
    let released: number | null = null;
    let failed = false;
    const children = jobs.map((job) => {
      const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(job)], {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, TUNABLE_LOG: 'warning' },
      });
      let buffered = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line === 'READY') {
            if (++ready === jobs.length && barrier) {
              released = Date.now();
              for (const c of children) c.stdin.end('go\n');
            }
          } else if (line.startsWith('{')) {
            events.push(JSON.parse(line) as Event);
          }
        }
      });
      child.on('exit', (code) => {
        if (code !== 0 && !failed) {
          failed = true;
          for (const c of children) c.kill();
          reject(new Error(`a ${job.mode} worker of study ${job.studyName} exited with code ${code}`));
        }
        if (++exited === jobs.length && !failed) resolve({ events, released });
      });
      return child;
    });
  });
}

// ---- measurements ----------------------------------------------------------------------------------

function distances(points: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = 0; j < i; j++) out.push(Math.hypot(...points[i]!.map((v, k) => v - points[j]![k]!)));
  }
  return out;
}

/** The median pairwise distance of `n` uniform points of [0, 1]^d, averaged over `draws` draws. */
function randomSpread(n: number, d: number, draws = 200): number {
  const rng = new Rng(12345);
  let sum = 0;
  for (let k = 0; k < draws; k++) sum += median(distances(Array.from({ length: n }, () => Array.from({ length: d }, () => rng.random()))));
  return sum / draws;
}

interface SpreadRow {
  readonly sampler: SamplerKey;
  readonly seed: number;
  readonly median: number;
  readonly min: number;
  readonly distinct: number;
  readonly wallMs: number;
  readonly askMs: number;
}

async function spreadOnce(o: Options, where: Place, sampler: SamplerKey, seed: number, studyName: string): Promise<SpreadRow> {
  const base = { storage: where.workerUrl, studyName, sampler, seed, problem: o.problem.name, evalMs: 0 };
  await runWorkers([{ ...base, mode: 'seed', storage: where.url, nTrials: o.startup }]);
  const run = await runWorkers(Array.from({ length: o.workers }, (): Job => ({ ...base, mode: 'spread', nTrials: 0 })));
  const proposals = run.events.filter((e) => e.event === 'proposal');
  if (proposals.length !== o.workers) throw new Error(`expected ${o.workers} proposals, got ${proposals.length}`);
  const d = distances(proposals.map((e) => e.x));
  return {
    sampler,
    seed,
    median: median(d),
    min: Math.min(...d),
    distinct: new Set(proposals.map((e) => e.x.join())).size,
    wallMs: Math.max(...proposals.map((e) => e.at)) - run.released!,
    askMs: median(proposals.map((e) => e.askMs)),
  };
}

interface RegretRow {
  readonly sampler: SamplerKey;
  readonly seed: number;
  readonly parallel: number;
  readonly sequential: number;
  readonly parallelMs: number;
  readonly sequentialMs: number;
}

async function regretOnce(o: Options, where: Place, storage: Storage, sampler: SamplerKey, seed: number, names: string[]): Promise<RegretRow> {
  const base = { sampler, seed, problem: o.problem.name, evalMs: o.evalMs };
  const par = `regret-${sampler}-${seed}-parallel`;
  const seq = `regret-${sampler}-${seed}-sequential`;
  names.push(par, seq);
  await runWorkers([{ ...base, mode: 'seed', storage: where.url, studyName: par, nTrials: 0 }]);
  const t0 = Date.now();
  await runWorkers(Array.from({ length: o.workers }, (): Job => ({ ...base, mode: 'regret', storage: where.workerUrl, studyName: par, nTrials: o.trials })));
  const parallelMs = Date.now() - t0;
  const trials = await storage.getAllTrials(await storage.getStudyIdFromName(par), [TrialState.COMPLETE]);
  const values = trials.filter((t) => t.number < o.trials).map((t) => t.values![0]!);
  if (values.length < o.trials) throw new Error(`study ${par}: ${values.length} of ${o.trials} trials completed`);
  const t1 = Date.now();
  const s = await runWorkers([{ ...base, mode: 'sequential', storage: where.url, studyName: seq, nTrials: o.trials }]);
  const sequentialMs = Date.now() - t1;
  const done = s.events.find((e) => e.event === 'done');
  if (done?.event !== 'done' || done.best === undefined) throw new Error(`study ${seq}: no result`);
  return {
    sampler,
    seed,
    parallel: Math.min(...values) - o.problem.fmin,
    sequential: done.best - o.problem.fmin,
    parallelMs,
    sequentialMs,
  };
}

// ---- main ------------------------------------------------------------------------------------------

const o = parseArgs(process.argv.slice(2));
const names: string[] = [];
const where = place(o.storage, () => names);
const storage = await open(where.url);
if (typeof storage === 'string') {
  console.log(`The storage ${where.url} is not available: ${storage}`);
  console.log(o.storage === null
    ? 'The default is the local PostgreSQL server; until PostgreSQL storage works, run with `--storage sqlite` (the code paths; the study lock is then per process).'
    : 'Check the URL, or run with `--storage sqlite`.');
  process.exit(2);
}
const d = o.problem.bounds.length;
console.log(`Storage: ${where.label}; ${o.workers} workers; ${o.problem.name} (d = ${d}) on [0, 1]^${d}; seeds ${o.seeds.join(', ')}; ${cpus().length} CPU cores.`);
try {
  if (o.sections.includes('spread')) {
    const rows: SpreadRow[] = [];
    for (const sampler of o.samplers) {
      for (const seed of o.seeds) {
        const name = `spread-${sampler}-${seed}`;
        names.push(name);
        const r = await spreadOnce(o, where, sampler, seed, name);
        console.error(`spread ${sampler} seed ${seed}: median ${g3(r.median)}, min ${g3(r.min)}, ${r.distinct} distinct, ${r.wallMs} ms`);
        rows.push(r);
      }
    }
    const random = randomSpread(o.workers, d);
    console.log(`\n### ${o.workers} workers asking at once: spread of the proposals (${o.problem.name}, ${o.startup} COMPLETE trials before; ${where.label})\n`);
    console.log('| proposals from | median pairwise distance (per seed) | ÷ random | smallest pairwise distance | distinct points | barrier → last proposal | median ask() |');
    console.log('|---|---|---|---|---|---|---|');
    for (const sampler of o.samplers) {
      const rs = rows.filter((r) => r.sampler === sampler);
      const med = median(rs.map((r) => r.median));
      console.log(`| ${SAMPLER_LABEL[sampler]} | ${g3(med)} (${rs.map((r) => g3(r.median)).join(', ')}) | ${g3(med / random)} | ${g3(Math.min(...rs.map((r) => r.min)))} | ` +
        `${rs.map((r) => r.distinct).join(', ')} of ${o.workers} | ${rs.map((r) => (r.wallMs / 1000).toFixed(1)).join(', ')} s | ${rs.map((r) => r.askMs).join(', ')} ms |`);
    }
    console.log(`| ${o.workers} uniform random points (mean of 200 draws) | ${g3(random)} | 1 | | | | |`);
  }
  if (o.sections.includes('regret')) {
    const rows: RegretRow[] = [];
    for (const sampler of o.regretSamplers) {
      for (const seed of o.seeds) {
        const r = await regretOnce(o, where, storage, sampler, seed, names);
        console.error(`regret ${sampler} seed ${seed}: ${o.workers} workers ${g3(r.parallel)} (${r.parallelMs} ms), sequential ${g3(r.sequential)} (${r.sequentialMs} ms)`);
        rows.push(r);
      }
    }
    console.log(`\n### Regret: ${o.workers} workers against one (${o.problem.name}, ${o.trials} trials, ${o.evalMs} ms per evaluation in parallel; ${where.label})\n`);
    const evals = (o.trials * o.evalMs) / 1000;
    console.log('| sampler | run | median simple regret | per seed | wall (median) |');
    console.log('|---|---|---|---|---|');
    for (const sampler of o.regretSamplers) {
      const rs = rows.filter((r) => r.sampler === sampler);
      console.log(`| ${SAMPLER_LABEL[sampler]} | ${o.workers} workers | ${g3(median(rs.map((r) => r.parallel)))} | ${rs.map((r) => g3(r.parallel)).join(', ')} | ${(median(rs.map((r) => r.parallelMs)) / 1000).toFixed(1)} s |`);
      console.log(`| ${SAMPLER_LABEL[sampler]} | sequential | ${g3(median(rs.map((r) => r.sequential)))} | ${rs.map((r) => g3(r.sequential)).join(', ')} | ` +
        `${(median(rs.map((r) => r.sequentialMs)) / 1000).toFixed(1)} s + ${evals.toFixed(1)} s of evaluations (not slept) |`);
    }
  }
} finally {
  await where.cleanup(storage);
  await storage.close();
}
