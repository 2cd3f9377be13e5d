/**
 * What the chaos scenarios share: a fresh schema with one study per scenario, the workers started on it,
 * and the row of the report each scenario returns (audit.ts checks plus its own).
 */
import { createStudy, type Study } from '../../src/study/index.js';
import type { FrozenTrial } from '../../src/trial/index.js';
import { audit, describeFailed } from './audit.js';
import { sleep, spawnWorker, type SpawnOptions, type WorkerProc } from './fleet.js';
import { dropSchema, ensureOnline, schemaUrl, waitAccepting } from './server.js';

/** Short beats so that a dead worker is found within ~1 s. */
export const HEARTBEAT_MS = 500;
/** The library default (study.ts), which `tunable worker` uses. */
export const CLI_HEARTBEAT_MS = 10_000;

export interface Row {
  scenario: string;
  workers: string;
  heartbeat: string;
  fault: string;
  trials: number;
  complete: number;
  failed: string;
  retried: number;
  lost: number;
  duplicated: number;
  wallS: number;
  problems: string[];
  notes: string[];
}

export const progress = (msg: string): void => void process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
export const rand = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);
export const alive = (w: WorkerProc): boolean => w.child.exitCode === null && w.child.signalCode === null;
export const completed = (ws: readonly WorkerProc[]): number =>
  ws.reduce((s, w) => s + [...w.done.values()].filter((d) => d.state === 'COMPLETE').length, 0);

export const everyone = new Set<WorkerProc>();

/** A fresh schema with one study in it; `body` runs the scenario, the schema is dropped afterwards. */
export async function onFreshStudy(tag: string, body: (study: Study, spawn: (o: Omit<SpawnOptions, 'storage' | 'studyName'>) => WorkerProc) => Promise<Row>): Promise<Row> {
  const schema = `chaos_${tag}_${process.pid}_${Date.now().toString(36)}`;
  const storage = schemaUrl(schema);
  const studyName = `chaos-${tag}`;
  const study = await createStudy({ storage, studyName });
  const spawn = (o: Omit<SpawnOptions, 'storage' | 'studyName'>): WorkerProc => {
    const w = spawnWorker({ ...o, storage, studyName });
    everyone.add(w);
    return w;
  };
  const ticker = setInterval(() => progress(`${tag}: ${completed([...everyone])} complete, ${[...everyone].filter(alive).length} workers alive`), 5000);
  try {
    return await body(study, spawn);
  } finally {
    clearInterval(ticker);
    for (const w of everyone) if (alive(w)) w.child.kill('SIGKILL');
    everyone.clear();
    await study.storage.close().catch(() => undefined);
    await ensureOnline();
    await waitAccepting();
    if (process.env['CHAOS_KEEP_SCHEMAS'] === '1') progress(`${tag}: kept schema ${schema}`);
    else await dropSchema(schema);
  }
}

/** Waits for `cond`, polling; false when `ms` passed first. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, every = 100): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(every);
  }
  return cond();
}

/** Exit codes: each worker that was not killed must have exited 0. */
export async function exitProblems(ws: readonly WorkerProc[]): Promise<string[]> {
  const out: string[] = [];
  for (const w of ws.filter((x) => !x.killed)) {
    const { code, signal } = await w.exited;
    if (code !== 0) out.push(`worker ${w.id} exited ${code ?? signal}: ${w.error ?? (w.stderr.slice(-3).join(' | ') || 'no stderr')}`);
  }
  return out;
}

/** Warnings and errors the workers printed (trials finished elsewhere, storage errors), counted by their first words. */
function warnings(ws: readonly WorkerProc[]): string[] {
  const counts = new Map<string, number>();
  for (const w of ws) {
    for (const line of w.stderr) {
      if (!/^(\[tunable [WE] |\(node:\d+\) \[|worker error: |tunable: )/.test(line)) continue;
      const key = line.replace(/^\[tunable \w [^\]]*\] |^\(node:\d+\) /, '').replace(/\d+/g, 'N').slice(0, 110);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, n]) => `${n}× ${k}`);
}

export function row(scenario: string, workers: string, heartbeatMs: number, fault: string, trials: FrozenTrial[], ws: WorkerProc[], t0: number, extra: string[], notes: string[]): Row {
  const a = audit(trials, ws);
  return {
    scenario,
    workers,
    heartbeat: heartbeatMs >= 1000 ? `${heartbeatMs / 1000} s` : `${heartbeatMs} ms`,
    fault,
    trials: a.trials,
    complete: a.complete,
    failed: describeFailed(a.failed),
    retried: a.retried,
    lost: a.lost,
    duplicated: a.duplicated,
    wallS: (Date.now() - t0) / 1000,
    problems: [...a.problems, ...extra],
    notes: [...notes, ...warnings(ws).map((w) => `worker stderr: ${w}`)],
  };
}
