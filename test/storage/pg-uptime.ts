/**
 * The shared test server's uptime. A PostgreSQL storage measures a trial's silence from the server's
 * start at the earliest (a restart gives every trial a fresh stale threshold), and some suites restart
 * the server: a test that expects a trial to be stale after a wait first makes sure the server has been
 * up for longer than the threshold.
 */
import { withAdmin } from '../pg.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long the server has been up (ms, on its clock); retried while it restarts. */
export async function serverUptimeMs(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await withAdmin(
        async (c) =>
          (await c.query<{ ms: number }>('SELECT (extract(epoch FROM clock_timestamp() - pg_postmaster_start_time()) * 1000)::float8 AS ms')).rows[0]!.ms,
      );
    } catch (e) {
      if (attempt >= 100) throw e;
      await sleep(300);
    }
  }
}

/** Returns once the server has been up for more than `ms`. */
export async function serverUpFor(ms: number): Promise<void> {
  for (;;) {
    const up = await serverUptimeMs();
    if (up > ms) return;
    await sleep(ms - up + 50);
  }
}
