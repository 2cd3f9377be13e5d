/**
 * PostgreSQL connection URLs and options: `postgresql://user:password@host:port/database?schema=NAME`
 * (or `postgres://…`) plus an options object, turned into one checked `PostgresConfig`.
 *
 * The password never leaves this module in readable form: `PostgresConfig.url` shows it as `***`, the
 * connection settings carry it inside a function (pg accepts one), and `redactUrl` hides it in any URL
 * that goes into an error message, malformed ones included.
 */
import { InvalidArgumentError } from '../errors.js';
import { describe, integer, invalid, nonNegativeNumber, options, positiveNumber } from '../validate.js';

/** Options of `new PostgresStorage(url, options)`; each overrides the URL's query parameter of the same meaning. */
export interface PostgresStorageOptions {
  /** Schema holding tunable's tables (`?schema=`); created, under the migration lock, when missing. */
  readonly schema?: string;
  /** Connections per storage (`?pool_size=`). A `withStudyLock` holds one while its function runs. */
  readonly poolSize?: number;
  /** How long a connection attempt may take (`?connect_timeout=`, in seconds there, as libpq has it). */
  readonly connectTimeoutMs?: number;
  /**
   * How long a call on a storage that has connected once keeps retrying dropped connections, restarts,
   * serialisation failures and deadlocks before it fails (`?retry_timeout=`, in seconds there).
   */
  readonly retryTimeoutMs?: number;
}

/** The defaults, in one place. */
export const POSTGRES_DEFAULTS = Object.freeze({
  /** PostgreSQL's own default schema. */
  schema: 'public',
  /** Four connections: an optimize loop's calls, its heartbeat-free writes and a held study lock fit. */
  poolSize: 4,
  /** Ten seconds for a connection attempt; a storage that never connected fails after that long. */
  connectTimeoutMs: 10_000,
  /** A minute of retries on a storage that has connected: a server restart or failover fits in it. */
  retryTimeoutMs: 60_000,
  /** Shown in `pg_stat_activity`. */
  applicationName: 'tunable',
});

/**
 * The longest `retryTimeoutMs`. A retried write is recognised by its request id, and request ids are kept
 * this long (postgres-schema.ts purges older ones), so no retry may outlive them.
 */
export const MAX_RETRY_TIMEOUT_MS = 3_600_000;

/** `sslmode` values and the TLS settings they give pg (libpq's meaning: `require` encrypts without verifying). */
const SSL_MODES = {
  disable: false,
  'no-verify': { rejectUnauthorized: false },
  require: { rejectUnauthorized: false },
  'verify-ca': { rejectUnauthorized: true },
  'verify-full': { rejectUnauthorized: true },
} as const;
type SslMode = keyof typeof SSL_MODES;

/** The URL's query parameters. */
const QUERY_PARAMETERS = ['schema', 'pool_size', 'connect_timeout', 'retry_timeout', 'sslmode', 'application_name'] as const;
const OPTION_NAMES = ['schema', 'poolSize', 'connectTimeoutMs', 'retryTimeoutMs'] as const;

/** What a `PostgresStorage` connects with. */
export interface PostgresConfig {
  /** The URL with the password shown as `***`: safe to print. */
  readonly url: string;
  /** `host:port`, for messages. */
  readonly target: string;
  readonly host: string;
  readonly port: number;
  /** undefined: pg's default (PGDATABASE, else the user name). */
  readonly database: string | undefined;
  /** undefined: pg's default (PGUSER, else the OS user). */
  readonly user: string | undefined;
  /** The password inside a function (pg calls it), so that printing the config shows no secret. */
  readonly password: (() => string) | undefined;
  readonly schema: string;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  readonly retryTimeoutMs: number;
  readonly ssl: false | { readonly rejectUnauthorized: boolean };
  readonly applicationName: string;
}

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgresql://') || url.startsWith('postgres://');
}

/** Parses and checks a URL and options; every problem is an InvalidArgumentError naming the argument. */
export function parsePostgresUrl(url: unknown, opts?: PostgresStorageOptions): PostgresConfig {
  if (typeof url !== 'string' || !isPostgresUrl(url.trim())) {
    throw invalid('storage', 'a "postgresql://user:password@host:port/database" URL', typeof url === 'string' ? redactUrl(url) : url);
  }
  const raw = url.trim();
  const o = options<PostgresStorageOptions>('options', opts, OPTION_NAMES);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw malformed(raw, 'it is not a valid URL');
  }
  if (u.hash !== '') throw malformed(raw, 'it has a #fragment');
  const path = u.pathname;
  if (path !== '' && path !== '/' && path.indexOf('/', 1) !== -1) throw malformed(raw, 'the path must be a single database name');
  const database = decode(raw, path.slice(1));
  const user = decode(raw, u.username);
  const password = decode(raw, u.password);
  let host = u.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  host = decode(raw, host) || 'localhost';
  const port = u.port === '' ? 5432 : Number(u.port);

  const q = query(u);
  const schema = checkSchema('schema', o.schema ?? q.get('schema') ?? POSTGRES_DEFAULTS.schema);
  const poolSize =
    o.poolSize !== undefined
      ? integer('poolSize', o.poolSize, 1)
      : q.has('pool_size')
        ? integer('pool_size', numeric('pool_size', q.get('pool_size')!), 1)
        : POSTGRES_DEFAULTS.poolSize;
  const connectTimeoutMs =
    o.connectTimeoutMs !== undefined
      ? positiveNumber('connectTimeoutMs', o.connectTimeoutMs)
      : q.has('connect_timeout')
        ? positiveNumber('connect_timeout', numeric('connect_timeout', q.get('connect_timeout')!)) * 1000
        : POSTGRES_DEFAULTS.connectTimeoutMs;
  const retryTimeoutMs =
    o.retryTimeoutMs !== undefined
      ? retryLimit('retryTimeoutMs', o.retryTimeoutMs, 1)
      : q.has('retry_timeout')
        ? retryLimit('retry_timeout', numeric('retry_timeout', q.get('retry_timeout')!), 1000)
        : POSTGRES_DEFAULTS.retryTimeoutMs;
  const sslmode = q.get('sslmode') ?? 'disable';
  if (!Object.hasOwn(SSL_MODES, sslmode)) {
    throw invalid('sslmode', `one of ${Object.keys(SSL_MODES).map((m) => JSON.stringify(m)).join(', ')}`, sslmode);
  }
  const applicationName = q.get('application_name') ?? POSTGRES_DEFAULTS.applicationName;

  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const auth = u.username === '' && u.password === '' ? '' : `${u.username}${u.password === '' ? '' : ':***'}@`;
  return Object.freeze({
    url: `${u.protocol}//${auth}${u.host}${u.pathname}${u.search}`,
    target,
    host,
    port,
    database: database === '' ? undefined : database,
    user: user === '' ? undefined : user,
    password: password === '' ? undefined : () => password,
    schema,
    poolSize,
    connectTimeoutMs,
    retryTimeoutMs,
    ssl: SSL_MODES[sslmode as SslMode],
    applicationName,
  });
}

/**
 * A schema name: a plain identifier (letters, digits and `_`, not starting with a digit), at most 63
 * characters, not starting with `pg_` (reserved by PostgreSQL). Case is kept: the name is always quoted.
 */
export function checkSchema(name: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(value) || /^pg_/i.test(value)) {
    throw invalid(name, 'a schema name made of letters, digits and _ (not starting with a digit or "pg_", at most 63 characters)', value);
  }
  return value;
}

/** `"name"`, with embedded quotes doubled: the one way an identifier enters SQL text. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The URL with any password replaced by `***`, for messages about URLs that may not even parse. It errs
 * on the side of hiding: everything between `://` and the last `@` counts as user info, and a
 * `password=` query parameter is hidden too.
 */
export function redactUrl(url: string): string {
  let out = url;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(out);
  if (scheme !== null) {
    const at = out.lastIndexOf('@');
    if (at > scheme[0].length) {
      const info = out.slice(scheme[0].length, at);
      const colon = info.indexOf(':');
      if (colon !== -1) out = `${scheme[0]}${info.slice(0, colon)}:***${out.slice(at)}`;
    }
  }
  return out.replace(/([?&]password=)[^&#]*/gi, '$1***');
}

// ---------------------------------------------------------------------------------------------------

function malformed(url: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`Expected a "postgresql://user:password@host:port/database" URL for \`storage\` but received ${describe(redactUrl(url))}: ${why}`);
}

function decode(url: string, part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw malformed(url, 'it has a malformed %-escape');
  }
}

/** The query parameters, each at most once and each known (did-you-mean for a misspelled one). */
function query(u: URL): Map<string, string> {
  const seen = new Map<string, string>();
  for (const [k, v] of u.searchParams) {
    if (seen.has(k)) throw new InvalidArgumentError(`The query parameter \`${k}\` appears twice in \`storage\` (${describe(redactUrl(u.href))})`);
    seen.set(k, v);
  }
  options('storage', Object.fromEntries([...seen.keys()].map((k) => [k, true])), QUERY_PARAMETERS);
  return seen;
}

function numeric(name: string, text: string): number {
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(n)) throw invalid(name, 'a number', text);
  return n;
}

function retryLimit(name: string, value: unknown, scale: number): number {
  const ms = nonNegativeNumber(name, value) * scale;
  if (ms > MAX_RETRY_TIMEOUT_MS) {
    throw invalid(name, `at most ${MAX_RETRY_TIMEOUT_MS / scale}${scale === 1000 ? ' (seconds)' : ' (ms)'}`, value);
  }
  return ms;
}
