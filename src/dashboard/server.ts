/**
 * The dashboard's HTTP server (node:http): the built page, its files, a read-only JSON API over a
 * storage and live events. docs/dashboard.md describes the routes and the security model.
 *
 * Routes (GET and HEAD; anything else 405):
 *   /, /index.html                        the page (503 with a message while it is not built)
 *   /assets/<file>                        the page's files, from the assets folder only
 *   /api/studies                          StudySummaryJSON[]
 *   /api/studies/:id?form                 StudyJSON, or StudyColumnsJSON with form=columns
 *   /api/studies/:id/intermediate         IntermediateColumnsJSON
 *   /api/studies/:id/importance?objective ImportanceResult
 *   /api/studies/:id/surrogate?objective  SurrogateJSON
 *   /api/events, /api/studies/:id/events  server-sent events (events.ts)
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IOError, InvalidArgumentError, NotFoundError, TunableError } from '../errors.js';
import type { Storage } from '../storage/base.js';
import { createStorage, isStorage, sqliteFile } from '../storage/index.js';
import { boolean, describe, integer, invalid, options, string } from '../validate.js';
import { DashboardData, studyIdParam } from './api.js';
import { Assets, defaultAssetsDir } from './assets.js';
import { errorJSON, EventHub } from './events.js';

export interface DashboardOptions {
  /** A storage, or its URL (opened here, and closed by `close()`). */
  readonly storage: Storage | string;
  /** The address to listen on (default 127.0.0.1). Another than a loopback one needs `exposed: true`. */
  readonly host?: string;
  /** The port (default 8080); 0 takes any free port (the bound one is `port` of the result). */
  readonly port?: number;
  /** Serve on a non-loopback address: the dashboard is read-only but shows every study to whoever reaches it. */
  readonly exposed?: boolean;
  /** Milliseconds between the storage reads of live updates (default 500). */
  readonly pollMs?: number;
  /** The built page's folder (default: dist/dashboard/web/ in the package). */
  readonly assetsDir?: string;
}

export interface Dashboard {
  /** Where the page is, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  readonly host: string;
  /** Ends the live streams, stops the server and closes a storage opened from a URL. */
  close(): Promise<void>;
}

export const DASHBOARD_DEFAULTS = Object.freeze({ host: '127.0.0.1', port: 8080, pollMs: 500 });

const OPTION_NAMES = ['storage', 'host', 'port', 'exposed', 'pollMs', 'assetsDir'] as const;

/**
 * The page's own bundled script and styles, nothing remote. Besides 'self':
 * - script-src 'unsafe-eval': gpu.js compiles its kernels (and its CPU fallback) with `new Function`;
 *   no inline script is allowed, so injected markup still cannot run.
 * - style-src-attr 'unsafe-inline': ECharts writes `style="…"` attributes into its HTML tooltips;
 *   style elements and sheets stay 'self' only.
 * - img-src data: blob:: ECharts' image export and canvas snapshots.
 * - connect-src 'self': the JSON API and the event streams.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-eval'",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every response. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** 127.0.0.0/8, ::1 (also as an IPv4-mapped address) and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The host as a URL writes it: IPv6 in brackets; a wildcard address as the loopback one of its family. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** A status for each error kind; the body is `{ error: { code, message } }`. */
function statusOf(e: unknown): number {
  if (!(e instanceof TunableError)) return 500;
  switch (e.code) {
    case 'ERR_INVALID_ARGUMENT':
    case 'ERR_UNKNOWN_OPTION':
      return 400;
    case 'ERR_NOT_FOUND':
      return 404;
    case 'ERR_INVALID_STATE':  // a study with nothing to model yet: the surrogate
      return 409;
    case 'ERR_BACKEND_UNAVAILABLE':
      return 503;
    default:
      return 500;
  }
}

/** Why a `listen` failed, in words. */
const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this machine',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
};

interface Resolved {
  readonly host: string;
  readonly port: number;
  readonly exposed: boolean;
  readonly pollMs: number;
  readonly assetsDir: string;
}

function resolve(opts: DashboardOptions): Resolved {
  const o = options<DashboardOptions>('startDashboard options', opts, OPTION_NAMES);
  if (typeof o.storage !== 'string' && !isStorage(o.storage)) throw invalid('storage', 'a Storage or a storage URL', o.storage);
  const host = o.host === undefined ? DASHBOARD_DEFAULTS.host : string('host', o.host);
  const exposed = o.exposed === undefined ? false : boolean('exposed', o.exposed);
  if (!exposed && !isLoopback(host)) {
    throw new InvalidArgumentError(
      `Expected a loopback address (127.0.0.0/8, ::1 or localhost) for \`host\` but received ${describe(host)}: ` +
        'pass `exposed: true` to serve other machines (the dashboard is read-only but shows every study)',
    );
  }
  return {
    host,
    port: o.port === undefined ? DASHBOARD_DEFAULTS.port : integer('port', o.port, 0, 65535),
    exposed,
    pollMs: o.pollMs === undefined ? DASHBOARD_DEFAULTS.pollMs : integer('pollMs', o.pollMs, 10, 3_600_000),
    assetsDir: o.assetsDir === undefined ? defaultAssetsDir() : string('assetsDir', o.assetsDir),
  };
}

/**
 * A Host header naming a loopback address: the only ones a loopback server answers. A web page on
 * another site whose name an attacker re-points to 127.0.0.1 (DNS rebinding) sends its own name, and
 * is refused, so it cannot read the API through the visitor's browser.
 */
function loopbackHostHeader(value: string | undefined): boolean {
  if (value === undefined) return false;
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(value.trim());
  return m !== null && isLoopback(m[1]!);
}

/**
 * A read-only view opens only what exists: a SQLite file that is not there is reported, not created
 * (an empty database would be left behind, under a mistyped name too).
 */
function existingStorage(url: string): string {
  const file = sqliteFile(url);
  if (file !== null && !existsSync(file)) {
    throw new NotFoundError(`Expected an existing SQLite database for \`storage\` but there is none at ${JSON.stringify(file)}: the dashboard creates nothing`);
  }
  return url;
}

/** Starts the dashboard; resolves once it listens. */
export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const o = resolve(opts);
  const owned = typeof opts.storage === 'string';
  const storage = typeof opts.storage === 'string' ? createStorage(existingStorage(opts.storage)) : opts.storage;
  try {
    // A storage that cannot be read fails here, not at the first request.
    await storage.getAllStudies();
  } catch (e) {
    if (owned) await storage.close().catch(() => undefined);
    throw e;
  }
  const data = new DashboardData(storage);
  const hub = new EventHub(data, o.pollMs);
  const assets = new Assets(o.assetsDir);
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => fail(res, e));
  });

  function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  function json(res: ServerResponse, status: number, body: string): void {
    send(res, status, 'application/json; charset=utf-8', body, { 'Cache-Control': 'no-store' });
  }

  function text(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
    send(res, status, 'text/plain; charset=utf-8', body + '\n', { 'Cache-Control': 'no-store', ...extra });
  }

  function fail(res: ServerResponse, e: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    json(res, statusOf(e), JSON.stringify(errorJSON(e)));
  }

  async function page(res: ServerResponse): Promise<void> {
    if (!assets.built()) {
      text(res, 503, `The dashboard's page is not built: run \`npm run build\` in the tunable package (no ${join(o.assetsDir, 'index.html')}). The API under /api/ works meanwhile.`);
      return;
    }
    const body = await readFile(join(o.assetsDir, 'index.html'));
    send(res, 200, 'text/html; charset=utf-8', body, { 'Cache-Control': 'no-store' });
  }

  async function asset(res: ServerResponse, raw: string): Promise<void> {
    const r = await assets.read(raw);
    if (r.kind === 'file') {
      // A validator, so that a browser's revalidation (no-cache) of an unchanged file is a 304 and it
      // keeps its cached copy — and the compiled code it keeps for a cached script, which spares a
      // page load the compilation of the bundle.
      const etag = `"${createHash('sha1').update(r.body).digest('base64url')}"`;
      if (res.req.headers['if-none-match'] === etag) {
        res.writeHead(304, { ...SECURITY_HEADERS, ETag: etag, 'Cache-Control': 'no-cache' });
        res.end();
        return;
      }
      send(res, 200, r.type, r.body, { 'Cache-Control': 'no-cache', ETag: etag });
    } else {
      text(res, r.kind === 'bad-request' ? 400 : 404, r.kind === 'bad-request' ? `Bad asset path: ${r.reason}` : 'Not found');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!o.exposed && !loopbackHostHeader(req.headers.host)) {
      text(res, 403, 'Forbidden: this dashboard answers requests for a loopback host name only (127.0.0.1, ::1, localhost)');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      text(res, 405, 'Method not allowed: the dashboard is read-only (GET and HEAD)', { Allow: 'GET, HEAD' });
      return;
    }
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    if (path === '/' || path === '/index.html') return page(res);
    if (path.startsWith('/assets/')) return asset(res, path.slice('/assets/'.length));
    if (path === '/api/studies') return json(res, 200, JSON.stringify(await data.studySummaries()));
    if (path === '/api/events') {
      if (req.method === 'HEAD') return send(res, 200, 'text/event-stream; charset=utf-8', '', { 'Cache-Control': 'no-store' });
      return hub.watchStudies(req, res, SECURITY_HEADERS);
    }
    const m = /^\/api\/studies\/([^/]*)(?:\/(importance|surrogate|intermediate|events))?$/.exec(path);
    if (m !== null) {
      const studyId = studyIdParam(m[1]!);
      switch (m[2]) {
        case undefined:
          return json(res, 200, await data.studyText(studyId, query.get('form')));
        case 'intermediate':
          return json(res, 200, await data.intermediateText(studyId));
        case 'importance':
          return json(res, 200, await data.importanceText(studyId, query.get('objective')));
        case 'surrogate':
          return json(res, 200, await data.surrogateText(studyId, query.get('objective')));
        default:
          if (req.method === 'HEAD') {
            await data.refreshed(studyId);
            return send(res, 200, 'text/event-stream; charset=utf-8', '', { 'Cache-Control': 'no-store' });
          }
          return hub.watchStudy(studyId, req, res, SECURITY_HEADERS);
      }
    }
    if (path.startsWith('/api/')) {
      json(res, 404, JSON.stringify({ error: { code: 'ERR_NOT_FOUND', message: `No API route ${JSON.stringify(path)}` } }));
      return;
    }
    text(res, 404, 'Not found');
  }

  try {
    await new Promise<void>((ok, ko) => {
      server.once('error', ko);
      server.listen({ host: o.host, port: o.port }, () => {
        server.off('error', ko);
        ok();
      });
    });
  } catch (e) {
    hub.close();
    if (owned) await storage.close().catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new IOError(`Cannot serve the dashboard on ${o.host} port ${o.port}: ${LISTEN_ERRORS[code] ?? (e as Error).message}`, { cause: e });
  }
  // Reads every study now rather than at the first request: a large study's first read (and its
  // conversion to JSON) takes seconds, which the page then does not wait for. A failure here is
  // reported by the request that meets it.
  data.studySummaries().catch(() => undefined);
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : o.port;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost(o.host)}:${port}/`,
    port,
    host: o.host,
    close(): Promise<void> {
      closing ??= (async () => {
        hub.close();
        await new Promise<void>((ok) => {
          server.close(() => ok());
          // Keep-alive sockets (and a client's half-closed ones) would hold `close` open until they time
          // out; a request still being answered is cut short: the server is going away.
          server.closeAllConnections();
        });
        if (owned) await storage.close();
      })();
      return closing;
    },
  };
}
