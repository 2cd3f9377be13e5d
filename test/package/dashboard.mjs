// `tunable dashboard` from the installed package: its page, the page's bundle (no remote URLs) and the API
// answer. Usage: node dashboard.mjs STORAGE_URL; prints {"scripts", "studies"} as JSON.
import { spawn } from 'node:child_process';

// The package's own bin, run by this node: `npx` would not pass SIGTERM on, and the server it started
// would outlive the check, holding the pipe open.
const bin = 'node_modules/.bin/tunable';
const child = spawn(process.execPath, [bin, 'dashboard', '--port', '0', '--storage', process.argv[2]], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  let out = '';
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`no URL within 30 s: ${out}`)), 30_000).unref();
  });
  const page = await (await fetch(url)).text();
  const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  if (!assets.some((a) => a.endsWith('.js')) || /https?:\/\//.test(page)) throw new Error(`page: ${page}`);
  for (const a of assets) {
    const r = await fetch(new URL(a, url));
    if (!r.ok) throw new Error(`${a}: ${r.status}`);
    if (/<script[^>]+src="https?:/.test(await r.text())) throw new Error(`${a} loads a remote script`);
  }
  const studies = await (await fetch(new URL('api/studies', url))).json();
  console.log(JSON.stringify({ assets, studies: studies.map((s) => s.name) }));
} finally {
  child.kill('SIGTERM');
  child.stdout.destroy();
}
