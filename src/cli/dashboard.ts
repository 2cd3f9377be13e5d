/**
 * `tunable dashboard`: serves the read-only web dashboard (src/dashboard/) of a storage until SIGINT or
 * SIGTERM. docs/dashboard.md has the routes and the security model.
 */
import { spawn } from 'node:child_process';
import { createStorage } from '../storage/index.js';
import { DASHBOARD_DEFAULTS, isLoopback, startDashboard } from '../dashboard/server.js';
import { bool, integer, text, type Flags } from './args.js';
import type { Command } from './command.js';
import { existing } from './storage-url.js';
import { signalExitCode, watchStopSignals, type StopSignal } from './stop-signals.js';

/** After a second signal: how long closing may take before the process ends regardless. */
const FORCED_STOP_MS = 2_000;

export const DASHBOARD_HELP = `Usage: tunable dashboard [--storage URL] [--host H] [--port P] [--open]

Serves a read-only web dashboard of every study in --storage (SQLite or PostgreSQL): the studies,
each study's history, parameters, trials, importance and surrogate model, updated live. It writes
nothing to the storage. Runs until SIGINT (Ctrl+C) or SIGTERM.

Options:
  --host H   the address to listen on (default ${DASHBOARD_DEFAULTS.host}: this machine only). Any other than a
             loopback address makes every study readable by whoever can reach it (a warning says so)
  --port P   the port, 0 to 65535 (default ${DASHBOARD_DEFAULTS.port}; 0: any free port)
  --open     open the page in the system's browser

Exit status:
  0  stopped by SIGINT or SIGTERM
  1  the storage cannot be read, or the address cannot be served (say, the port is taken)
  2  bad usage or input
  130, 143  a second SIGINT (130) or SIGTERM (143) before closing finished`;

interface DashboardFlags {
  readonly host: string | undefined;
  readonly port: number;
  readonly open: boolean;
}

function dashboardFlags(flags: Flags): DashboardFlags {
  const port = text(flags, 'port');
  return {
    host: text(flags, 'host'),
    port: port === undefined ? DASHBOARD_DEFAULTS.port : integer('port', port, 0, 65535),
    open: bool(flags, 'open'),
  };
}

/** The command that opens a URL in the desktop's browser, per platform. */
function browserCommand(url: string): [string, string[]] {
  if (process.platform === 'darwin') return ['open', [url]];
  // `start` is a cmd built-in; its first quoted argument is a window title.
  if (process.platform === 'win32') return ['cmd', ['/c', 'start', '""', url]];
  return ['xdg-open', [url]];
}

/** Opens `url` in a browser; on any failure says so on stderr with the URL. Never throws. */
function openBrowser(url: string): void {
  const [cmd, args] = browserCommand(url);
  const failed = (why: string) => process.stderr.write(`tunable dashboard: could not open a browser (${why}); open ${url} yourself\n`);
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', (e: NodeJS.ErrnoException) => failed(e.code === 'ENOENT' ? `\`${cmd}\` was not found` : e.message));
    child.on('exit', (code) => {
      if (code !== null && code !== 0) failed(`\`${cmd}\` exited with status ${code}`);
    });
    child.unref();
  } catch (e) {
    failed((e as Error).message);
  }
}

export const dashboard: Command = {
  flags: ['host', 'port', 'open'],
  help: DASHBOARD_HELP,
  async run(flags, ctx) {
    const o = dashboardFlags(flags);
    const host = o.host ?? DASHBOARD_DEFAULTS.host;
    const storage = createStorage(existing(ctx.storage));
    let server;
    try {
      // `--host` is the explicit request to serve another address; the warning makes its reach plain.
      server = await startDashboard({ storage, host, port: o.port, exposed: o.host !== undefined });
    } catch (e) {
      await storage.close().catch(() => undefined);
      throw e;
    }
    // Watched before the URL is printed: whoever reads the URL may signal at once.
    const stopped = new Promise<StopSignal | null>((resolve) => {
      let closing = false;
      const unwatch = watchStopSignals({
        first: () => {
          closing = true;
          server
            .close()
            .then(() => storage.close())
            .then(() => resolve(null), () => resolve(null))
            .finally(unwatch);
        },
        second: (signal) => {
          if (closing) resolve(signal);
        },
      });
    });
    if (!isLoopback(host)) {
      process.stderr.write(
        `tunable dashboard: warning: listening on ${host}, reachable from other machines; it is read-only but shows every study in ${storage.url} to anyone who can connect\n`,
      );
    }
    ctx.out(`tunable dashboard: serving ${storage.url} at ${server.url} (Ctrl+C stops)`);
    if (o.open) openBrowser(server.url);
    const second = await stopped;
    if (second !== null) {
      setTimeout(() => process.exit(signalExitCode(second)), FORCED_STOP_MS).unref();
      return signalExitCode(second);
    }
    return 0;
  },
};
