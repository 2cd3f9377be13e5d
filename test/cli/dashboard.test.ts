/**
 * `tunable dashboard`: the command as a real process (the CLI from its TypeScript sources, through tsx)
 * over a seeded SQLite database: it serves, it stops cleanly on SIGTERM and SIGINT, it refuses bad flags.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStudy } from '../../src/study/study.js';
import { tempDir, cliArgs } from '../helpers.js';

const dir = tempDir('tunable-dashboard-cli-');
const storage = `sqlite:${join(dir, 'd.db')}`;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, cliArgs('dashboard', ...args), {
    cwd: dir,
    env: { ...process.env, TUNABLE_DEBUG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const waiters: [RegExp, (m: RegExpExecArray) => void][] = [];
  const check = () => {
    for (const [re, resolve] of waiters) {
      const m = re.exec(stdout) ?? re.exec(stderr);
      if (m !== null) resolve(m);
    }
  };
  child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), check()));
  child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), check()));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    exited,
    waitFor: (re: RegExp, timeoutMs = 30_000) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const m = re.exec(stdout) ?? re.exec(stderr);
        if (m !== null) return resolve(m);
        waiters.push([re, resolve]);
        setTimeout(() => reject(new Error(`no ${re} within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`)), timeoutMs).unref();
      }),
  };
}

// Asynchronous: synchronous spawns in a row would block the test worker's event loop.
function cli(...args: string[]): Promise<Exit> {
  return new Promise((resolve) => {
    const env = { ...process.env, TUNABLE_DEBUG: '' };
    execFile(process.execPath, cliArgs('dashboard', ...args), { cwd: dir, encoding: 'utf8', env }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      const signal = err === null ? null : (err.signal ?? null);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const URL_LINE = /serving sqlite:\S+ at (http:\/\/127\.0\.0\.1:(\d+)\/) \(Ctrl\+C stops\)/;

beforeAll(async () => {
  const study = await createStudy({ storage, studyName: 'cli-study' });
  await study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 3 });
  await study.storage.close();
});

describe('tunable dashboard', () => {
  it('serves the API, prints its URL, and stops on SIGTERM with exit status 0', async () => {
    const p = start(['--storage', storage, '--port', '0']);
    const [, url] = await p.waitFor(URL_LINE);
    const list = (await (await fetch(`${url}api/studies`)).json()) as { name: string }[];
    expect(list.map((s) => s.name)).toEqual(['cli-study']);
    // An open event stream must not hold the process.
    const stream = await fetch(`${url}api/events`);
    expect(stream.status).toBe(200);
    p.child.kill('SIGTERM');
    const exit = await p.exited;
    expect(exit.code).toBe(0);
    expect(exit.stderr).toBe('');
  });

  it('stops on SIGINT with exit status 0', async () => {
    const p = start(['--storage', storage, '--port', '0']);
    await p.waitFor(URL_LINE);
    p.child.kill('SIGINT');
    const exit = await p.exited;
    expect(exit, JSON.stringify(exit)).toMatchObject({ code: 0 });
  });

  it('warns that a non-loopback --host exposes every study, and serves it', async () => {
    const p = start(['--storage', storage, '--host', '0.0.0.0', '--port', '0']);
    const [, url] = await p.waitFor(URL_LINE);
    await p.waitFor(/warning: listening on 0\.0\.0\.0, reachable from other machines; it is read-only but shows every study/);
    expect((await fetch(`${url}api/studies`)).status).toBe(200);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  });

  it('--open without a browser command prints the URL with a note and goes on serving', async () => {
    const empty = join(dir, 'no-bin');
    mkdirSync(empty, { recursive: true });
    const p = start(['--storage', storage, '--port', '0', '--open'], { PATH: empty });
    const [, url] = await p.waitFor(URL_LINE);
    await p.waitFor(/could not open a browser \(.*\); open http:\/\/127\.0\.0\.1:\d+\/ yourself/);
    expect((await fetch(`${url}api/studies`)).status).toBe(200);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  });

  it('refuses bad flags with exit status 2 and the message', async () => {
    const cases: [string[], string][] = [
      [['--port', '70000'], 'tunable: ERR_INVALID_ARGUMENT: Expected an integer in [0, 65535] for `--port` but received "70000"'],
      [['--port', '80.5'], 'tunable: ERR_INVALID_ARGUMENT: Expected an integer in [0, 65535] for `--port` but received "80.5"'],
      [['--port', 'http'], 'tunable: ERR_INVALID_ARGUMENT: Expected an integer in [0, 65535] for `--port` but received "http"'],
      [['--host'], 'tunable: ERR_INVALID_ARGUMENT: Missing value for `--host` (a value that starts with "-" is written --host=-value)'],
      [['--open=yes'], 'tunable: ERR_INVALID_ARGUMENT: `--open` takes no value but received "yes"'],
    ];
    for (const [args, message] of cases) {
      const r = await cli('--storage', storage, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim()).toBe(message);
    }
    const unknown = await cli('--storage', storage, '--prot', '1');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--prot.*--port/);
  });

  it('fails with exit status 1 for a database that does not exist, or a port in use', async () => {
    const missing = await cli('--storage', `sqlite:${join(dir, 'missing.db')}`, '--port', '0');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^tunable: ERR_NOT_FOUND: No tunable database at /);
    const p = start(['--storage', storage, '--port', '0']);
    const [, , port] = await p.waitFor(URL_LINE);
    const taken = await cli('--storage', storage, '--port', port!);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(new RegExp(`^tunable: ERR_IO: Cannot serve the dashboard on 127\\.0\\.0\\.1 port ${port}: the address is already in use`));
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  });

  it('prints its help', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tunable dashboard \[--storage URL\] \[--host H\] \[--port P\] \[--open\]/);
  });
});
