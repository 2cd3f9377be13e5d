/**
 * What a distributed run left in storage, checked against what its workers said (fleet.ts).
 *
 * Checks every run gets (a problem string each when broken):
 *   numbers        the trial numbers are 0..N-1, each exactly once
 *   values         every COMPLETE value equals valueOf(its stored params), bit for bit
 *   no orphans     no trial left RUNNING or WAITING
 *   not lost       every trial a worker saw COMPLETE is COMPLETE in storage with the same value
 *   run once       no trial's objective began in two processes, no trial was told by two
 *   stale lineage  a FAIL judged stale (failReason mentions the heartbeat) that is an original was retried
 *                  exactly once (one trial with retriedFrom = its number, keeping the params it had); a retry is not
 *                  retried again (maxRetry 1); every retriedFrom names a stale FAIL
 */
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';
import { retryHistory } from '../../src/study/retry.js';
import type { WorkerProc } from './fleet.js';
import { valueOf } from './objective.js';

export interface Audit {
  trials: number;
  complete: number;
  /** FAIL trials by reason: "stale" (heartbeat) or the first line of any other reason. */
  failed: Map<string, number[]>;
  /** Trials that retry another (retriedFrom set). */
  retried: number;
  lost: number;
  /** Numbers stored more than once, plus trials run or told by two processes. */
  duplicated: number;
  problems: string[];
}

export const isStale = (t: FrozenTrial): boolean =>
  t.state === TrialState.FAIL && /heartbeat/i.test(String(t.systemAttrs['failReason'] ?? ''));

/**
 * The retry runs the failed trial's params (those it had stored; the rest are sampled afresh). A retry
 * that itself died before storing them all shows only some, none of them different.
 */
const keepsParams = (failed: FrozenTrial, retry: FrozenTrial): boolean =>
  Object.entries(failed.params).every(([k, v]) => retry.params[k] === v || (retry.state !== TrialState.COMPLETE && !(k in retry.params)));

function firstLine(reason: unknown): string {
  return typeof reason === 'string' ? reason.split('\n')[0]!.slice(0, 120) : 'no failReason';
}

/** Sample of a list for a message. */
const few = (xs: readonly unknown[]): string => `${xs.slice(0, 8).join(', ')}${xs.length > 8 ? ', …' : ''}`;

export function audit(returned: readonly FrozenTrial[], workers: readonly WorkerProc[]): Audit {
  const problems: string[] = [];
  const trials = returned.filter((t) => t !== undefined && t !== null);
  if (trials.length !== returned.length) problems.push(`the storage returned ${returned.length - trials.length} empty slots among its trials`);
  const byNumber = new Map<number, FrozenTrial>();
  const repeated: number[] = [];
  for (const t of trials) (byNumber.has(t.number) ? repeated.push(t.number) : byNumber.set(t.number, t));
  const gaps: number[] = [];
  for (let n = 0; n < trials.length; n++) if (!byNumber.has(n)) gaps.push(n);
  if (repeated.length > 0) problems.push(`numbers stored twice: ${few(repeated)}`);
  if (gaps.length > 0) problems.push(`numbers missing from 0..${trials.length - 1}: ${few(gaps)}`);

  const unfinished = trials.filter((t) => t.state === TrialState.RUNNING || t.state === TrialState.WAITING);
  if (unfinished.length > 0) problems.push(`left unfinished: ${few(unfinished.map((t) => `${t.number} ${t.state}`))}`);
  const wrong = trials.filter((t) => t.state === TrialState.COMPLETE && t.values?.[0] !== valueOf(t.params));
  if (wrong.length > 0) problems.push(`COMPLETE value differs from the objective of its params: ${few(wrong.map((t) => t.number))}`);

  // What the workers saw against what is stored.
  const lost: number[] = [];
  const startedBy = new Map<number, number>();
  const toldBy = new Map<number, number>();
  const twice = new Set<number>();
  for (const w of workers) {
    for (const n of new Set(w.started)) (startedBy.has(n) ? twice.add(n) : startedBy.set(n, w.id));
    if (w.started.length !== new Set(w.started).size) problems.push(`worker ${w.id} began one trial twice`);
    for (const [n, d] of w.done) {
      if (d.state === 'COMPLETE') (toldBy.has(n) ? twice.add(n) : toldBy.set(n, w.id));
      const t = byNumber.get(n);
      if (d.state === 'COMPLETE' && (t?.state !== TrialState.COMPLETE || t.values?.[0] !== d.value)) lost.push(n);
    }
  }
  if (lost.length > 0) problems.push(`seen COMPLETE by a worker but not stored so: ${few(lost)}`);
  if (twice.size > 0) problems.push(`trials run by two processes: ${few([...twice])}`);

  // Failures and the retry lineage.
  const failed = new Map<string, number[]>();
  const children = new Map<number, FrozenTrial[]>();
  for (const t of trials) {
    const from = t.systemAttrs['retriedFrom'];
    if (typeof from === 'number') children.set(from, [...(children.get(from) ?? []), t]);
    if (t.state !== TrialState.FAIL) continue;
    const key = isStale(t) ? 'stale' : firstLine(t.systemAttrs['failReason']);
    failed.set(key, [...(failed.get(key) ?? []), t.number]);
  }
  for (const t of trials.filter(isStale)) {
    const kids = children.get(t.number) ?? [];
    const original = retryHistory(t).length === 0;
    if (original && kids.length !== 1) problems.push(`stale trial ${t.number} was retried ${kids.length} times, not once`);
    if (!original && kids.length !== 0) problems.push(`retry ${t.number} was retried again (maxRetry 1)`);
    for (const k of kids) {
      if (!keepsParams(t, k)) problems.push(`retry ${k.number} does not keep the params of trial ${t.number}: ${JSON.stringify(t.params)} → ${JSON.stringify(k.params)}`);
    }
  }
  for (const [from, kids] of children) {
    const parent = byNumber.get(from);
    if (parent === undefined || !isStale(parent)) problems.push(`trials ${few(kids.map((k) => k.number))} retry ${from}, which is not a stale FAIL`);
  }

  return {
    trials: trials.length,
    complete: trials.filter((t) => t.state === TrialState.COMPLETE).length,
    failed,
    retried: [...children.values()].reduce((s, k) => s + k.length, 0),
    lost: lost.length,
    duplicated: repeated.length + twice.size,
    problems,
  };
}

/** "3 stale; 1 other: …" */
export function describeFailed(failed: Map<string, number[]>): string {
  if (failed.size === 0) return '0';
  return [...failed].map(([why, ns]) => `${ns.length} ${why === 'stale' ? 'stale (heartbeat)' : `"${why}"`}`).join('; ');
}
