/**
 * The dashboard's server over HTTP: a server on port 0 over a seeded SQLite study (and the same API over
 * PostgreSQL), read with fetch and, where fetch would normalise the path, with raw node:http requests.
 */
import { request } from 'node:http';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../src/dashboard/server.js';
import { CONTENT_SECURITY_POLICY } from '../../src/dashboard/server.js';
import type { SurrogateJSON } from '../../src/dashboard/posterior-reference.js';
import { InvalidArgumentError } from '../../src/errors.js';
import type { ImportanceResult } from '../../src/importance/index.js';
import { RandomSampler } from '../../src/samplers/random.js';
import type { Storage } from '../../src/storage/base.js';
import { createStorage } from '../../src/storage/index.js';
import { TrialPruned } from '../../src/errors.js';
import { createStudy } from '../../src/study/study.js';
import { TrialState } from '../../src/trial/index.js';
import {
  studyFromColumns, studyToColumns, thinCurve, trialToJSON, type IntermediateColumnsJSON, type StudyColumnsJSON, type StudyJSON,
  type StudySummaryJSON, type TrialJSON,
} from '../../src/trial/json.js';
import { categoricalDistribution, floatDistribution, intDistribution } from '../../src/distributions/index.js';
import { INTERMEDIATE_MAX_POINTS } from '../../src/plot/options/intermediate.js';
import { tempDir } from '../helpers.js';
import { describePg, dropSchema, freshSchema, schemaUrl } from '../pg.js';

const dir = tempDir('tunable-dashboard-');
const SECRET = 'SECRET-OUTSIDE-THE-ASSETS-FOLDER';
const assetsDir = join(dir, 'web');
const sqliteUrl = `sqlite:${join(dir, 'studies.db')}`;

const opened: Dashboard[] = [];
afterEach(async () => {
  for (const d of opened.splice(0)) await d.close();
});

async function start(opts: Partial<Parameters<typeof startDashboard>[0]> = {}): Promise<Dashboard> {
  const d = await startDashboard({ storage: sqliteUrl, port: 0, assetsDir, ...opts });
  opened.push(d);
  return d;
}

/** Seeds a study: COMPLETE, PRUNED (with intermediate values) and FAIL trials, attributes, a `<script>` name. */
async function seed(storage: string | Storage, name: string, n = 16): Promise<number> {
  const study = await createStudy({ storage, studyName: name, sampler: new RandomSampler({ seed: 1 }) });
  await study.setUserAttr('note', '<script>alert(1)</script>');
  await study.optimize(
    (t) => {
      const x = t.suggestFloat('x', -3, 3);
      const lr = t.suggestFloat('lr', 1e-4, 1, { log: true });
      const k = t.suggestInt('k', 1, 5);
      const c = t.suggestCategorical('c', ['a', 'b']);
      t.setUserAttr('tag', `trial ${t.number}`);
      for (let step = 0; step < 3; step++) t.report(x * x + step, step);
      if (t.number === 3) throw new TrialPruned();
      if (t.number === 5) throw new Error('diverged');
      return x * x + Math.log10(lr) ** 2 + k + (c === 'a' ? 0 : 1);
    },
    { nTrials: n, catch: () => true },
  );
  return study.studyId;
}

let studyId: number;
let emptyId: number;
beforeAll(async () => {
  mkdirSync(join(assetsDir, 'sub'), { recursive: true });
  writeFileSync(join(assetsDir, 'index.html'), '<!doctype html><title>tunable</title><script src="/assets/app.js"></script>');
  writeFileSync(join(assetsDir, 'app.js'), 'console.log(1);');
  writeFileSync(join(assetsDir, 'app.css'), 'body{}');
  writeFileSync(join(assetsDir, 'sub', 'x.svg'), '<svg/>');
  writeFileSync(join(dir, 'package.json'), SECRET);
  writeFileSync(join(dir, 'web-secret'), SECRET);
  symlinkSync(join(dir, 'package.json'), join(assetsDir, 'link.json'));
  studyId = await seed(sqliteUrl, '<script>alert("name")</script>');
  const empty = await createStudy({ storage: sqliteUrl, studyName: 'empty', direction: 'maximize' });
  emptyId = empty.studyId;
  await empty.storage.close();
});

async function getJSON<T>(url: string): Promise<T> {
  const r = await fetch(url);
  expect(r.status, await r.clone().text()).toBe(200);
  expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(r.headers.get('cache-control')).toBe('no-store');
  return (await r.json()) as T;
}

/** A raw GET of `path` exactly as written (fetch would resolve `..` first). */
function raw(d: Dashboard, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: d.port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An event stream read with fetch: `next(event, test)` resolves with the first matching event's data. */
async function events(url: string) {
  const controller = new AbortController();
  const r = await fetch(url, { signal: controller.signal });
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const reader = r.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const frames: { event: string; data: string }[] = [];
  const waiter: { wake: (() => void) | null } = { wake: null };
  let ended = false;
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let i;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (data !== undefined) frames.push({ event, data });
        }
        waiter.wake?.();
      }
    } catch {
      // aborted
    }
    ended = true;
    waiter.wake?.();
  })();
  return {
    frames,
    get ended() {
      return ended;
    },
    async next<T>(event: string, test: (data: T) => boolean, timeoutMs: number): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      let seen = 0;
      for (;;) {
        for (; seen < frames.length; seen++) {
          const f = frames[seen]!;
          if (f.event === event && test(JSON.parse(f.data) as T)) return JSON.parse(f.data) as T;
        }
        if (ended) throw new Error(`the stream ended before a matching ${event} event`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching ${event} event within ${timeoutMs} ms: ${JSON.stringify(frames)}`);
        await new Promise<void>((r) => {
          waiter.wake = r;
          setTimeout(r, left);
        });
      }
    },
    /** Resolves once the server has ended the stream. */
    async end(timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (!ended) throw new Error('the stream is still open');
    },
    close: () => controller.abort(),
  };
}

describe('the JSON API', () => {
  it('lists the studies with their summary fields', async () => {
    const d = await start();
    const list = await getJSON<StudySummaryJSON[]>(`${d.url}api/studies`);
    const row = list.find((s) => s.studyId === studyId)!;
    expect(row.name).toBe('<script>alert("name")</script>');
    expect(row.directions).toEqual(['minimize']);
    expect(row.counts).toEqual({ RUNNING: 0, COMPLETE: 14, PRUNED: 1, FAIL: 1, WAITING: 0 });
    expect(row.bestValues).toHaveLength(1);
    expect(typeof row.bestNumber).toBe('number');
    expect(row.start).toBeGreaterThan(0);
    expect(row.lastActivity).toBeGreaterThanOrEqual(row.start!);
    const empty = list.find((s) => s.studyId === emptyId)!;
    expect(empty).toMatchObject({ name: 'empty', directions: ['maximize'], bestValues: null, bestNumber: null, start: null, lastActivity: null });
  });

  it('serves a study: exactly the stored trials as TrialJSON, with the study attributes', async () => {
    const d = await start();
    const study = await getJSON<StudyJSON>(`${d.url}api/studies/${studyId}`);
    const storage = createStorage(sqliteUrl);
    const stored = (await storage.getAllTrials(studyId)).map(trialToJSON);
    await storage.close();
    expect(study.studyId).toBe(studyId);
    expect(study.name).toBe('<script>alert("name")</script>');
    expect(study.directions).toEqual(['minimize']);
    expect(study.userAttrs).toEqual({ note: '<script>alert(1)</script>' });
    expect(study.trials).toEqual(JSON.parse(JSON.stringify(stored)));
    const pruned = study.trials.find((t) => t.state === 'PRUNED')!;
    expect(pruned.intermediate).toEqual([[0, expect.any(Number)], [1, expect.any(Number)], [2, expect.any(Number)]]);
    expect(study.trials.find((t) => t.state === 'FAIL')!.systemAttrs).toHaveProperty('failReason');
  });

  it('serves a study in columns (?form=columns) and its intermediate values apart, which expand to the same trials', async () => {
    const d = await start();
    const full = await getJSON<StudyJSON>(`${d.url}api/studies/${studyId}`);
    const columns = await getJSON<StudyColumnsJSON>(`${d.url}api/studies/${studyId}?form=columns`);
    // Distributions once, not per trial; no intermediate values (sent apart).
    expect(Object.keys(columns.trials.distributions)).toEqual(['c', 'k', 'lr', 'x']);
    expect(columns.trials.maxIntermediate).toBe(0);
    expect(columns.trials).not.toHaveProperty('intermediate');
    expect(columns.trials.own).toEqual({});
    const expanded = studyFromColumns(columns);
    expect(expanded.trials).toEqual(full.trials.map((t) => ({ ...t, intermediate: [] })));
    expect({ ...expanded, trials: [] }).toEqual({ ...full, trials: [] });
    const inter = await getJSON<IntermediateColumnsJSON>(`${d.url}api/studies/${studyId}/intermediate`);
    expect(inter.maxIntermediate).toBe(INTERMEDIATE_MAX_POINTS);
    expect(inter.trialId).toEqual(full.trials.map((t) => t.trialId));
    expect(inter.intermediate).toEqual(full.trials.map((t) => t.intermediate));
    // form=full is the default; anything else is refused.
    expect(await getJSON<StudyJSON>(`${d.url}api/studies/${studyId}?form=full`)).toEqual(full);
    const bad = await fetch(`${d.url}api/studies/${studyId}?form=rows`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'ERR_INVALID_ARGUMENT', message: 'Expected "full" or "columns" for `form` but received "rows"' } });
    const missing = await fetch(`${d.url}api/studies/99999/intermediate`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
  });

  it('keeps whole the trials the columns cannot describe; caps intermediate values as the chart thins them', () => {
    const x = floatDistribution(0, 1);
    const base = {
      state: 'COMPLETE' as const, values: [1], userAttrs: {}, systemAttrs: {}, intermediate: [] as [number, number][], start: 1, complete: 2,
    };
    const trials: TrialJSON[] = [
      { ...base, trialId: 10, number: 0, params: { x: 0.5, c: 'b' }, internalParams: { x: 0.5, c: 1 }, distributions: { x, c: categoricalDistribution(['a', 'b']) } },
      // another range for x: sent whole
      { ...base, trialId: 11, number: 1, params: { x: 2 }, internalParams: { x: 2 }, distributions: { x: floatDistribution(0, 5) } },
      // a conditional parameter absent, another present; a long curve; attributes
      {
        ...base, trialId: 12, number: 2, state: 'PRUNED', values: null, params: { x: 0.25, n: 3 }, internalParams: { x: 0.25, n: 3 },
        distributions: { x, n: intDistribution(1, 4) }, userAttrs: { tag: '<b>' }, systemAttrs: { failReason: 'no' },
        intermediate: Array.from({ length: 1000 }, (_, i) => [i, i / 2] as [number, number]),
      },
      { ...base, trialId: 13, number: 3, state: 'RUNNING', values: null, params: {}, internalParams: {}, distributions: {}, start: 5, complete: null },
      {
        ...base, trialId: 14, number: 4, params: { x: 0.75, c: 'a', n: 1 }, internalParams: { x: 0.75, c: 0, n: 1 },
        distributions: { x, c: categoricalDistribution(['a', 'b']), n: intDistribution(1, 4) },
      },
    ];
    const study: StudyJSON = { studyId: 1, name: 's', directions: ['minimize'], userAttrs: { a: 1 }, trials };
    const c = studyToColumns(study, 200);
    expect(c.trials.distributions).toEqual({ c: categoricalDistribution(['a', 'b']), n: intDistribution(1, 4), x });
    expect(Object.keys(c.trials.own)).toEqual(['1']);
    expect(c.trials.params['n']).toEqual([null, null, 3, null, 1]);
    const back = studyFromColumns(JSON.parse(JSON.stringify(c)) as StudyColumnsJSON);
    const curve = thinCurve(trials[2]!.intermediate, 200);
    expect(curve.length).toBe(200);
    expect(curve[0]).toEqual([0, 0]);
    expect(curve.at(-1)).toEqual([999, 499.5]);
    expect(back.trials).toEqual(trials.map((t, i) => (i === 2 ? { ...t, intermediate: curve } : t)));
    // No cap: every value; a cap of 0: none.
    expect(studyFromColumns(studyToColumns(study)).trials).toEqual(trials);
    expect(studyFromColumns(studyToColumns(study, 0)).trials.map((t) => t.intermediate)).toEqual([[], [], [], [], []]);
  });

  it('puts the security headers on every response', async () => {
    const d = await start();
    for (const path of ['', 'api/studies', 'assets/app.js', 'nothing', `api/studies/${studyId}`, 'api/studies/x']) {
      const r = await fetch(`${d.url}${path}`);
      expect(r.headers.get('content-security-policy'), path).toBe(CONTENT_SECURITY_POLICY);
      expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
      await r.arrayBuffer();
    }
    // No remote origin anywhere; inline code nowhere (inline style attributes only, for ECharts' tooltips).
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*/);
    const inline = CONTENT_SECURITY_POLICY.split('; ').filter((d) => d.includes("'unsafe-inline'"));
    expect(inline).toEqual(["style-src-attr 'unsafe-inline'"]);
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self' 'unsafe-eval'/);
  });

  it('answers GET and HEAD only: 405 with Allow otherwise', async () => {
    const d = await start();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await fetch(`${d.url}api/studies`, { method });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, HEAD');
      await r.arrayBuffer();
    }
    const head = await fetch(`${d.url}api/studies/${studyId}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('checks study ids: 400 for a non-integer, 404 with the error JSON for an unknown one', async () => {
    const d = await start();
    for (const bad of ['abc', '1.5', '-1', '%31', '1e3']) {
      const r = await fetch(`${d.url}api/studies/${bad}`);
      expect(r.status, bad).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('ERR_INVALID_ARGUMENT');
    }
    for (const path of ['api/studies/99999', 'api/studies/99999/importance', 'api/studies/99999/surrogate', 'api/studies/99999/events']) {
      const r = await fetch(`${d.url}${path}`);
      expect(r.status, path).toBe(404);
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('ERR_NOT_FOUND');
      expect(body.error.message).toMatch(/99999/);
    }
    const r = await fetch(`${d.url}api/nothing`);
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: { code: 'ERR_NOT_FOUND', message: 'No API route "/api/nothing"' } });
  });

  it('computes the importance of each parameter (fANOVA)', async () => {
    const d = await start();
    const r = await getJSON<ImportanceResult>(`${d.url}api/studies/${studyId}/importance?objective=0`);
    expect(r.method).toBe('fanova');
    expect(r.nTrials).toBe(14);
    expect(r.importances.map((i) => i.name).sort()).toEqual(['c', 'k', 'lr', 'x']);
    expect(r.importances.reduce((s, i) => s + i.importance, 0)).toBeCloseTo(1, 9);
    const empty = await fetch(`${d.url}api/studies/${emptyId}/importance`);
    expect(empty.status).toBe(409);
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe('ERR_INVALID_STATE');
    const bad = await fetch(`${d.url}api/studies/${studyId}/importance?objective=1`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'ERR_INVALID_ARGUMENT', message: 'Expected an integer in [0, 0] for `objective` but received "1"' } });
  });

  it('fits the surrogate: a SurrogateJSON, 409 for a study with nothing to model, 400 for a bad objective', async () => {
    const d = await start();
    const s = await getJSON<SurrogateJSON>(`${d.url}api/studies/${studyId}/surrogate`);
    expect(s).toMatchObject({ objective: 0, kernel: 'matern52', names: ['c', 'k', 'lr', 'x'], d: 4, n: 14, categoricalDims: [0] });
    expect(s.X).toHaveLength(14 * 4);
    expect(s.y).toHaveLength(14);
    expect(s.toObjective.sign).toBe(-1);
    // The same study version answers from the cache: the same text.
    const again = await fetch(`${d.url}api/studies/${studyId}/surrogate?objective=0`);
    expect(await again.json()).toEqual(s);
    const none = await fetch(`${d.url}api/studies/${emptyId}/surrogate`);
    expect(none.status).toBe(409);
    expect(await none.json()).toEqual({
      error: { code: 'ERR_INVALID_STATE', message: 'The surrogate needs at least 2 COMPLETE trials with a value for objective 0; the study has 0' },
    });
    for (const q of ['objective=2', 'objective=x', 'objective=-1', 'objective=']) {
      const r = await fetch(`${d.url}api/studies/${studyId}/surrogate?${q}`);
      expect(r.status, q).toBe(400);
      await r.arrayBuffer();
    }
  });
});

describe('the page and its files', () => {
  it('serves the page and the files of the assets folder with their content types', async () => {
    const d = await start();
    for (const [path, type] of [
      ['', 'text/html; charset=utf-8'],
      ['index.html', 'text/html; charset=utf-8'],
      ['assets/app.js', 'text/javascript; charset=utf-8'],
      ['assets/app.css', 'text/css; charset=utf-8'],
      ['assets/sub/x.svg', 'image/svg+xml'],
    ] as const) {
      const r = await fetch(`${d.url}${path}`);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type'), path).toBe(type);
      await r.arrayBuffer();
    }
    expect(await (await fetch(d.url)).text()).toMatch(/<title>tunable<\/title>/);
  });

  it('answers a revalidation of an unchanged file with 304 (its ETag), and a changed one in full', async () => {
    const d = await start();
    const first = await fetch(`${d.url}assets/app.css`);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(await first.text()).toBe('body{}');
    const again = await fetch(`${d.url}assets/app.css`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await again.text()).toBe('');
    const other = await fetch(`${d.url}assets/app.js`, { headers: { 'if-none-match': etag } });
    expect(other.status).toBe(200);
    expect(other.headers.get('etag')).not.toBe(etag);
    await other.arrayBuffer();
  });

  it('never serves a file outside the assets folder: .., encoded or not, backslashes, NUL, symbolic links', async () => {
    const d = await start();
    const attempts = [
      '/assets/../package.json',
      '/assets/%2e%2e/package.json',
      '/assets/..%2fpackage.json',
      '/assets/%2e%2e%5cpackage.json',
      '/assets/..\\package.json',
      '/assets/%2E%2E/%2E%2E/package.json',
      '/assets/sub/../../package.json',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/assets//etc/passwd',
      '/assets/%2fetc%2fpasswd',
      '/assets/app.js%00.png',
      '/assets/link.json',
      '/assets/../web-secret',
      '/assets/%252e%252e/package.json',
      '/assets/%',
      '/assets/',
      '/assets/.',
      '/../package.json',
    ];
    for (const path of attempts) {
      const r = await raw(d, path);
      expect([400, 404], `${path}: ${r.status}`).toContain(r.status);
      expect(r.body, path).not.toContain(SECRET);
      expect(r.body, path).not.toMatch(/root:/);
    }
  });

  it('answers / with 503 and how to build the page while it is not built', async () => {
    const d = await start({ assetsDir: join(dir, 'no-such-folder') });
    const r = await fetch(d.url);
    expect(r.status).toBe(503);
    expect(await r.text()).toMatch(/not built: run `npm run build`/);
    expect((await fetch(`${d.url}api/studies`)).status).toBe(200);
  });
});

describe('where it listens', () => {
  it('refuses a non-loopback host unless exposed', async () => {
    await expect(startDashboard({ storage: sqliteUrl, host: '0.0.0.0', port: 0 })).rejects.toThrow(
      new InvalidArgumentError(
        'Expected a loopback address (127.0.0.0/8, ::1 or localhost) for `host` but received "0.0.0.0": ' +
          'pass `exposed: true` to serve other machines (the dashboard is read-only but shows every study)',
      ),
    );
    await expect(startDashboard({ storage: sqliteUrl, host: '192.168.1.10', port: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    const d = await start({ host: '0.0.0.0', exposed: true });
    expect(d.url).toBe(`http://127.0.0.1:${d.port}/`);
    expect((await fetch(`${d.url}api/studies`)).status).toBe(200);
  });

  it('listens on loopback addresses by default: 127.0.0.1, localhost, ::1', async () => {
    const d = await start();
    expect(d.host).toBe('127.0.0.1');
    expect(d.url).toBe(`http://127.0.0.1:${d.port}/`);
    const local = await start({ host: 'localhost' });
    expect((await fetch(`${local.url}api/studies`)).status).toBe(200);
    const v6 = await start({ host: '::1' }).catch(() => null);  // a host without IPv6 cannot bind ::1
    if (v6 !== null) {
      expect(v6.url).toBe(`http://[::1]:${v6.port}/`);
      expect((await fetch(`${v6.url}api/studies`)).status).toBe(200);
    }
  });

  it('refuses other host names in the Host header on a loopback server (DNS rebinding)', async () => {
    const d = await start();
    expect((await raw(d, '/api/studies', { Host: 'evil.example:8080' })).status).toBe(403);
    expect((await raw(d, '/api/studies', { Host: `localhost:${d.port}` })).status).toBe(200);
    expect((await raw(d, '/api/studies', { Host: `[::1]:${d.port}` })).status).toBe(200);
  });

  it('reports a port in use as an IOError naming it', async () => {
    const d = await start();
    await expect(startDashboard({ storage: sqliteUrl, port: d.port, assetsDir })).rejects.toThrow(/Cannot serve the dashboard on 127.0.0.1 port \d+: the address is already in use/);
  });

  it('leaves a Storage it was given open after close()', async () => {
    const storage = createStorage(sqliteUrl);
    try {
      const d = await startDashboard({ storage, port: 0, assetsDir });
      expect((await fetch(`${d.url}api/studies`)).status).toBe(200);
      await d.close();
      expect((await storage.getAllStudies()).length).toBeGreaterThan(0);
    } finally {
      await storage.close();
    }
  });

  it('refuses bad options with the argument named', async () => {
    await expect(startDashboard({ storage: sqliteUrl, port: 70000 })).rejects.toThrow('Expected an integer in [0, 65535] for `port` but received 70000');
    await expect(startDashboard({ storage: sqliteUrl, pollMs: 0 })).rejects.toThrow('Expected an integer in [10, 3600000] for `pollMs` but received 0');
    const missing = join(dir, 'missing.db');
    await expect(startDashboard({ storage: `sqlite:${missing}`, port: 0 })).rejects.toThrow(
      `Expected an existing SQLite database for \`storage\` but there is none at ${JSON.stringify(missing)}: the dashboard creates nothing`,
    );
    expect(existsSync(missing)).toBe(false);
  });
});

describe('live updates (server-sent events)', () => {
  it('sends a trial added and completed by another process within 2 s, and the new studies list', async () => {
    const d = await start();
    const study = await events(`${d.url}api/studies/${studyId}/events`);
    const list = await events(`${d.url}api/events`);
    await list.next<StudySummaryJSON[]>('studies', () => true, 2000);  // the current list, on connecting
    // Another Storage object on the same file: as another process would write.
    const other = createStorage(sqliteUrl);
    try {
      const t0 = Date.now();
      const trial = await other.createTrial(studyId);
      const running = await study.next<{ trials: TrialJSON[] }>('trials', (e) => e.trials.some((t) => t.number === trial.number), 2000);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(running.trials.find((t) => t.number === trial.number)!.state).toBe('RUNNING');
      await other.setTrialUserAttr(trial.trialId, 'phase', 'warm-up');
      await other.setTrialIntermediateValue(trial.trialId, 0, 0.5);
      await study.next<{ trials: TrialJSON[] }>('trials', (e) => e.trials.some((t) => t.number === trial.number && t.intermediate.length === 1 && t.userAttrs['phase'] === 'warm-up'), 2000);
      const t1 = Date.now();
      await other.setTrialState(trial.trialId, TrialState.COMPLETE, [-100]);
      const done = await study.next<{ trials: TrialJSON[] }>('trials', (e) => e.trials.some((t) => t.number === trial.number && t.state === 'COMPLETE'), 2000);
      expect(Date.now() - t1).toBeLessThan(2000);
      // Only what changed: not the whole study again.
      expect(done.trials.map((t) => t.number)).toEqual([trial.number]);
      expect(done.trials[0]!.values).toEqual([-100]);
      const rows = await list.next<StudySummaryJSON[]>('studies', (l) => l.find((s) => s.studyId === studyId)?.bestValues?.[0] === -100, 2000);
      expect(rows.find((s) => s.studyId === studyId)!.counts.COMPLETE).toBe(15);
    } finally {
      await other.close();
      study.close();
      list.close();
    }
  });

  it('starts each stream with a reconnection delay; HEAD answers the headers only', async () => {
    const d = await start();
    const first = await new Promise<{ headers: Record<string, unknown>; chunk: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: d.port, path: `/api/studies/${studyId}/events` }, (res) => {
        res.once('data', (c: Buffer) => {
          resolve({ headers: res.headers, chunk: c.toString() });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(first.chunk).toBe('retry: 1000\n\n');
    expect(first.headers).toMatchObject({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': CONTENT_SECURITY_POLICY });
    const head = await fetch(`${d.url}api/events`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  });

  it('shares one poller between the clients of a study; close() ends open streams at once', async () => {
    const d = await start({ pollMs: 50 });
    const a = await events(`${d.url}api/studies/${studyId}/events`);
    const b = await events(`${d.url}api/studies/${studyId}/events`);
    const c = await events(`${d.url}api/events`);
    const other = createStorage(sqliteUrl);
    const trial = await other.createTrial(studyId);
    await other.setTrialState(trial.trialId, TrialState.FAIL);
    await other.close();
    const has = (e: { trials: TrialJSON[] }) => e.trials.some((t) => t.number === trial.number && t.state === 'FAIL');
    await a.next('trials', has, 2000);
    await b.next('trials', has, 2000);
    const t0 = Date.now();
    await d.close();
    await Promise.all([a.end(1000), b.end(1000), c.end(1000)]);
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(fetch(`${d.url}api/studies`)).rejects.toThrow();
  });

  it('reads the storage once per interval however many clients watch, and not at all once they leave', async () => {
    const inner = createStorage(sqliteUrl);
    let reads = 0;
    const counting = new Proxy(inner, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver) as unknown;
        if (key === 'getAllTrials') return (...args: Parameters<Storage['getAllTrials']>) => ((reads += 1), target.getAllTrials(...args));
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    try {
      const d = await start({ storage: counting, pollMs: 100 });
      const clients = await Promise.all([1, 2, 3, 4].map(() => events(`${d.url}api/studies/${studyId}/events`)));
      await new Promise((r) => setTimeout(r, 100));
      const r0 = reads;
      await new Promise((r) => setTimeout(r, 1000));
      // About 10 reads in a second at 100 ms (each timed from the end of the last), not 40.
      expect(reads - r0).toBeGreaterThanOrEqual(4);
      expect(reads - r0).toBeLessThanOrEqual(11);
      for (const c of clients) c.close();
      await new Promise((r) => setTimeout(r, 300));
      const r1 = reads;
      await new Promise((r) => setTimeout(r, 500));
      expect(reads).toBe(r1);
    } finally {
      await inner.close();
    }
  });

  it('sends deleted and ends the stream when the study is deleted', async () => {
    const name = `to-delete-${Date.now()}`;
    const id = await seed(sqliteUrl, name, 3);
    const d = await start({ pollMs: 50 });
    const s = await events(`${d.url}api/studies/${id}/events`);
    const other = createStorage(sqliteUrl);
    await other.deleteStudy(id);
    await other.close();
    expect(await s.next<{ studyId: number }>('deleted', () => true, 2000)).toEqual({ studyId: id });
    await s.end(1000);
  });
});

describePg('the same API over PostgreSQL', () => {
  const schema = freshSchema();
  const url = schemaUrl(schema);
  let id: number;
  beforeAll(async () => {
    const storage = createStorage(url);
    id = await seed(storage, 'pg-study', 12);
    await storage.close();
  });
  afterAll(() => dropSchema(schema));

  it('lists, serves, and streams the trials of a PostgreSQL study', async () => {
    const d = await start({ storage: url });
    const list = await getJSON<StudySummaryJSON[]>(`${d.url}api/studies`);
    expect(list.map((s) => s.name)).toEqual(['pg-study']);
    expect(list[0]!.counts).toEqual({ RUNNING: 0, COMPLETE: 10, PRUNED: 1, FAIL: 1, WAITING: 0 });
    const study = await getJSON<StudyJSON>(`${d.url}api/studies/${id}`);
    const imp = await getJSON<ImportanceResult>(`${d.url}api/studies/${id}/importance`);
    expect(imp.importances).toHaveLength(4);
    const sur = await getJSON<SurrogateJSON>(`${d.url}api/studies/${id}/surrogate`);
    expect(sur.n).toBe(10);
    const storage = createStorage(url);
    try {
      expect(study.trials).toEqual(JSON.parse(JSON.stringify((await storage.getAllTrials(id)).map(trialToJSON))));
      const s = await events(`${d.url}api/studies/${id}/events`);
      const t0 = Date.now();
      const trial = await storage.createTrial(id);
      await storage.setTrialState(trial.trialId, TrialState.COMPLETE, [1.5]);
      await s.next<{ trials: TrialJSON[] }>('trials', (e) => e.trials.some((t) => t.number === trial.number && t.state === 'COMPLETE'), 2000);
      expect(Date.now() - t0).toBeLessThan(2000);
      s.close();
    } finally {
      await storage.close();
    }
  });
});
