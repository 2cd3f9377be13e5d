/**
 * Which PostgreSQL failures are worth another try, and how long to wait before it.
 *
 * Retried: serialisation failures and deadlocks (the transaction was rolled back), a connection that
 * dropped or could not be opened, a server shutting down or starting up. A write whose connection dropped
 * may have committed before the reply was lost; the storage makes such a retry harmless by sending the
 * same request id again (postgres-schema.ts: `tunable_requests`).
 */

/** Backoff between attempts: `firstDelayMs`, doubling up to `maxDelayMs`, each with jitter. */
export const BACKOFF = Object.freeze({ firstDelayMs: 20, maxDelayMs: 1000 });

/** What a failure means for the call and for the connection it happened on. */
export interface Failure {
  /** Another attempt may succeed. */
  readonly transient: boolean;
  /** The connection is gone or unusable: it must be discarded, not returned to the pool. */
  readonly connectionLost: boolean;
}

/** SQLSTATEs after which the same statement may succeed. Class 08 (connection exceptions) is added below. */
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown (pg_terminate_backend, a fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '53300', // too_many_connections
]);

/** SQLSTATEs that end the session: the server closes the connection after sending them. */
const FATAL_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Socket-level errors of a connection that dropped or could not be made. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ECONNABORTED', 'EAI_AGAIN']);

/** Messages pg gives a connection that ended under it (they carry no code). */
const LOST_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'timeout expired',
  'not queryable',
  'Client was closed and is not queryable',
];

/**
 * The unique index of `tunable_requests`: a retry that ran while its own first attempt was still
 * committing (the connection looked dead to the client, not yet to the server) meets that attempt's
 * row there once it commits. The storage then reads the result that attempt recorded (postgres.ts,
 * `#send`) instead of calling the function again.
 */
const REQUEST_RACE_CONSTRAINT = 'tunable_requests_pkey';

/** A write that met its own earlier attempt's request id (23505 on `tunable_requests_pkey`). */
export function isRequestRace(e: unknown): boolean {
  if (e === null || typeof e !== 'object') return false;
  const err = e as { code?: unknown; constraint?: unknown };
  return err.code === '23505' && err.constraint === REQUEST_RACE_CONSTRAINT;
}

export function classify(e: unknown): Failure {
  if (e === null || typeof e !== 'object') return { transient: false, connectionLost: false };
  const err = e as { code?: unknown; message?: unknown; constraint?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  const message = typeof err.message === 'string' ? err.message : '';
  if (code.length === 5 && (TRANSIENT_SQLSTATES.has(code) || code.startsWith('08'))) {
    return { transient: true, connectionLost: FATAL_SQLSTATES.has(code) || code.startsWith('08') };
  }
  if (isRequestRace(e)) return { transient: true, connectionLost: false };
  if (NETWORK_CODES.has(code)) return { transient: true, connectionLost: true };
  if (code === '' && LOST_MESSAGES.some((m) => message.includes(m))) return { transient: true, connectionLost: true };
  return { transient: false, connectionLost: false };
}

/** The wait before attempt `attempt + 1` (attempt 0 is the first retry): exponential, with jitter in [50 %, 100 %]. */
export function backoffMs(attempt: number): number {
  const base = Math.min(BACKOFF.maxDelayMs, BACKOFF.firstDelayMs * 2 ** Math.min(attempt, 30));
  return base / 2 + (Math.random() * base) / 2;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A short description of a driver or server error for a message: never the connection settings. */
export function describeCause(e: unknown): string {
  if (e === null || typeof e !== 'object') return String(e);
  const err = e as { code?: unknown; message?: unknown; errors?: unknown };
  let message = typeof err.message === 'string' && err.message !== '' ? err.message : '';
  // Node reports a failed connect to every address of a host as an AggregateError with an empty message.
  if (message === '' && Array.isArray(err.errors) && err.errors.length > 0) message = describeCause(err.errors[0]);
  if (message === '') message = String(e);
  const code = typeof err.code === 'string' && !message.includes(err.code) ? ` (${err.code})` : '';
  return `${message}${code}`;
}
