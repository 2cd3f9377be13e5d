/**
 * Worker processes of a distributed run and what each one said: the trials it started and the trials it
 * saw stored. Two kinds of worker run the same objective (./objective.ts):
 *   script  node --import tsx bench/distributed/chaos-worker.ts …   (loadStudy + optimize)
 *   cli     node --import tsx src/cli/main.ts worker …              (the `tunable worker` command)
 * Lines understood, on stdout or stderr:
 *   start <n>                                  objective.ts, when the objective begins
 *   done <n> <STATE> <value|->                 chaos-worker.ts, after the trial was stored
 *   … Trial <n> finished with value <v> …      the library's log line (CLI), after the trial was stored
 *   … Trial <n> failed: … / Trial <n> pruned   idem
 *   stale <n> / retried <n>                    chaos-worker.ts: its sweep failed trial n, and re-enqueued it
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WORKER = join(ROOT, 'bench/distributed/chaos-worker.ts');
const CLI = join(ROOT, 'src/cli/main.ts');
export const OBJECTIVE = join(ROOT, 'bench/distributed/objective.ts');

export interface Done {
  state: string;
  /** null when the line carried none. */
  value: number | null;
}

export interface WorkerProc {
  readonly id: number;
  readonly kind: 'script' | 'cli';
  readonly child: ChildProcess;
  /** Trial numbers in the order their objective began. */
  readonly started: number[];
  /** Trial number → what the worker saw stored. */
  readonly done: Map<number, Done>;
  /** Trials this worker's sweeps failed as stale, and those whose retry callback returned. */
  readonly swept: number[];
  readonly retried: number[];
  ready: boolean;
  /** Set by whoever SIGKILLs it. */
  killed: boolean;
  /** The last stderr lines (for reports). */
  readonly stderr: string[];
  /** The first line of the error the process died of ("worker error: …", or the CLI's "tunable: …"), or null. */
  error: string | null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The trial whose objective began last and was not seen stored, or null. */
  running(): number | null;
}

export interface SpawnOptions {
  kind: 'script' | 'cli';
  storage: string;
  studyName: string;
  nTrials: number;
  heartbeatMs: number;
  /** CHAOS_DELAY_MS for the objective, e.g. "50-300". */
  delay?: string;
  defineByRun?: boolean;
  seed?: number;
}

let nextId = 0;

export function spawnWorker(o: SpawnOptions, onLine?: (w: WorkerProc, line: string) => void): WorkerProc {
  const args = o.kind === 'script'
    ? [WORKER, '--storage', o.storage, '--study-name', o.studyName, '--n-trials', String(o.nTrials),
      '--heartbeat-ms', String(o.heartbeatMs), '--max-retry', '1',
      ...(o.seed === undefined ? [] : ['--seed', String(o.seed)]), ...(o.defineByRun ? ['--define-by-run'] : [])]
    : [CLI, 'worker', '--storage', o.storage, '--study-name', o.studyName, '--n-trials', String(o.nTrials), '--max-retry', '1', OBJECTIVE];
  const env = {
    ...process.env,
    CHAOS_DELAY_MS: o.delay ?? '',
    // The script prints its own "done" lines; the CLI is read through the library's info log.
    TUNABLE_LOG: o.kind === 'script' ? 'warning' : 'info',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const w: WorkerProc = {
    id: nextId++,
    kind: o.kind,
    child,
    started: [],
    done: new Map(),
    swept: [],
    retried: [],
    ready: o.kind === 'cli',
    killed: false,
    stderr: [],
    error: null,
    exited: new Promise((res) => child.on('exit', (code, signal) => res({ code, signal }))),
    running() {
      const last = this.started.at(-1);
      return last === undefined || this.done.has(last) ? null : last;
    },
  };
  const feed = (isErr: boolean) => {
    let buf = '';
    return (chunk: Buffer) => {
      buf += chunk.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        parse(w, line);
        if (isErr && !/^\[tunable I /.test(line)) w.stderr.push(line) > 40 && w.stderr.shift();
        if (isErr && w.error === null && /^(worker error|tunable): /.test(line)) w.error = line;
        onLine?.(w, line);
      }
    };
  };
  child.stdout!.on('data', feed(false));
  child.stderr!.on('data', feed(true));
  return w;
}

function parse(w: WorkerProc, line: string): void {
  let m: RegExpMatchArray | null;
  if (line === 'ready') w.ready = true;
  else if ((m = line.match(/^start (\d+)$/))) {
    w.started.push(Number(m[1]));
    w.ready = true;
  } else if ((m = line.match(/^stale (\d+)$/))) {
    w.swept.push(Number(m[1]));
  } else if ((m = line.match(/^retried (\d+)$/))) {
    w.retried.push(Number(m[1]));
  } else if ((m = line.match(/^done (\d+) (\w+) (\S+)$/))) {
    w.done.set(Number(m[1]), { state: m[2]!, value: m[3] === '-' ? null : Number(m[3]) });
  } else if ((m = line.match(/\] Trial (\d+) finished with value (\S+) and parameters/))) {
    w.done.set(Number(m[1]), { state: 'COMPLETE', value: Number(m[2]) });
  } else if ((m = line.match(/\] Trial (\d+) (failed|pruned)/))) {
    w.done.set(Number(m[1]), { state: m[2] === 'failed' ? 'FAIL' : 'PRUNED', value: null });
  }
}

/** Sends SIGKILL and marks the worker killed. */
export function kill(w: WorkerProc): void {
  w.killed = true;
  w.child.kill('SIGKILL');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
