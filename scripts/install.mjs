#!/usr/bin/env node
/**
 * tunable's `install` script (npm install / npm rebuild tunable). Never fails the install: the
 * TypeScript samplers work without the native engine, so a missing compiler must not take them away.
 *
 *   1. A prebuilt engine for this platform (prebuilds/<platform>-<arch>/tunable.node, put there by
 *      `npm pack`) that loads and computes in a child process → use it, build nothing.
 *   2. Otherwise build from source with cmake-js (build/cmake/Release/tunable.node), after checking for
 *      the compiler, CMake and Eigen, so that a missing tool is named instead of buried in a CMake log.
 *   3. When that fails too: say what is missing and the command that fixes it, record it in
 *      build/install.json (the loader repeats it once at first use) and exit 0.
 *
 * Environment: npm_config_build_from_source=true (`npm rebuild tunable --build-from-source`) skips the
 * prebuild; TUNABLE_REQUIRE_NATIVE=1 makes a failed build fail the install (CI, development).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tag = `${process.platform}-${process.arch}`;
const prebuild = join(root, 'prebuilds', tag, 'tunable.node');
const built = join(root, 'build', 'cmake', 'Release', 'tunable.node');
const statusFile = join(root, 'build', 'install.json');
const logFile = join(root, 'build', 'install.log');
const requireNative = process.env.TUNABLE_REQUIRE_NATIVE === '1';
const fromSource = /^(true|1)$/i.test(process.env.npm_config_build_from_source ?? '');

/**
 * npm (since v7) shows an install script's output only when the script fails; the user still has to
 * learn, up front, that a minute of compiling starts, and afterwards that the engine is missing. So
 * notices also go to the controlling terminal when there is one (nothing happens in CI or without one).
 */
function say(message) {
  const line = `tunable: ${message}\n`;
  process.stderr.write(line);
  if (process.stderr.isTTY) return;
  try {
    const fd = openSync('/dev/tty', 'w');
    writeSync(fd, line);
    closeSync(fd);
  } catch {
    // no terminal: the line above is in npm's log
  }
}

function record(status) {
  mkdirSync(dirname(statusFile), { recursive: true });
  writeFileSync(statusFile, JSON.stringify({ ...status, at: new Date().toISOString() }, null, 2) + '\n');
}

/** Loads `file` in a child process and runs a small Cholesky through it: a crash (SIGILL on a CPU without
 *  AVX2, a missing libgomp) costs the child, not the install. Returns null when it works, else why not. */
function probe(file) {
  const code = `
    const a = require(${JSON.stringify(file)});
    if (typeof a.GP !== 'function') throw new Error('not a tunable engine addon');
    a.choleskyBenchmark(16, 1, 1).then(() => console.log(JSON.stringify({ cuda: !!(a.cudaStatus && a.cudaStatus(false).compiled) })));`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return null;
  const err = (r.stderr || '').split('\n').find((l) => /Error|error:/.test(l)) ?? (r.signal ? `killed by ${r.signal}` : `exit ${r.status}`);
  return err.trim();
}

function onPath(names) {
  for (const name of names) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (dir && existsSync(join(dir, name))) return join(dir, name);
    }
  }
  return null;
}

function cpuHasAvx2() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /\savx2(\s|$)/m.test(info) && /\sfma(\s|$)/m.test(info);
  } catch {
    return true; // not Linux: nothing to check against
  }
}

/** Why the shipped prebuild does not fit this machine, or null when it may (probe() decides). */
function prebuildMismatch() {
  if (!existsSync(prebuild)) return `no prebuilt engine for ${tag} in this package`;
  let meta = {};
  try {
    meta = JSON.parse(readFileSync(join(dirname(prebuild), 'tunable.json'), 'utf8'));
  } catch {
    // an older package without metadata: let the probe decide
  }
  const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
  if (meta.glibc && !glibc) return `the prebuilt engine needs glibc (this system's C library is not glibc, e.g. musl)`;
  if (meta.glibc && glibc && compareVersions(glibc, meta.glibc) < 0) return `the prebuilt engine needs glibc ≥ ${meta.glibc} (this system has ${glibc})`;
  if (meta.avx2 && !cpuHasAvx2()) return 'the prebuilt engine needs a CPU with AVX2/FMA';
  return null;
}

function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

const EIGEN_DIRS = [process.env.EIGEN3_INCLUDE_DIR, '/usr/include/eigen3', '/usr/local/include/eigen3', '/opt/homebrew/include/eigen3', '/opt/local/include/eigen3'];

/** What the source build needs and this machine lacks, each with the Debian package that provides it. */
function missingTools() {
  const missing = [];
  if (!onPath(process.env.CXX ? [process.env.CXX] : ['c++', 'g++', 'clang++'])) missing.push({ what: 'a C++17 compiler', pkg: 'g++' });
  if (!onPath(['cmake'])) missing.push({ what: 'CMake ≥ 3.15', pkg: 'cmake' });
  if (!onPath(['make', 'ninja'])) missing.push({ what: 'make', pkg: 'make' });
  if (!EIGEN_DIRS.some((d) => d && existsSync(join(d, 'Eigen', 'Core')))) missing.push({ what: 'the Eigen 3.4 headers', pkg: 'libeigen3-dev' });
  return missing;
}

function fixCommand(pkgs) {
  const list = pkgs.length > 0 ? pkgs : ['g++', 'cmake', 'libeigen3-dev'];
  return `apt-get install -y ${list.join(' ')} && npm rebuild tunable`;
}

function finish(ok) {
  process.exit(ok || !requireNative ? 0 : 1);
}

// --- 1. the prebuild ------------------------------------------------------------------------------
let prebuildReason = fromSource ? 'npm_config_build_from_source is set' : prebuildMismatch();
if (prebuildReason === null) {
  const failure = probe(prebuild);
  if (failure === null) {
    record({ engine: 'prebuild', path: prebuild });
    say(`using the prebuilt native engine (${tag}); nothing to compile`);
    finish(true);
  }
  prebuildReason = `the prebuilt engine for ${tag} does not load here: ${failure}`;
  if (/libgomp/.test(failure)) prebuildReason += ' (install libgomp1)';
}

// --- 2. build from source -------------------------------------------------------------------------
const missing = missingTools();
if (missing.length > 0) {
  const what = missing.map((m) => m.what).join(', ');
  record({ engine: null, prebuild: prebuildReason, missing: missing.map((m) => m.what), fix: fixCommand(missing.map((m) => m.pkg)) });
  say(
    `${prebuildReason}, and the native engine cannot be built from source: missing ${what}. ` +
      `tunable works without it (TPE, CMA-ES and the other TypeScript samplers; no GPSampler). ` +
      `To add it: ${fixCommand(missing.map((m) => m.pkg))}`,
  );
  finish(false);
}

say(`building the native engine from source, about a minute (${prebuildReason})`);
let cmakeJs;
try {
  cmakeJs = createRequire(join(root, 'package.json')).resolve('cmake-js/bin/cmake-js');
} catch {
  cmakeJs = null;
}
let failure;
if (cmakeJs === null) {
  failure = 'cmake-js is not installed (it is a dependency of tunable; was the install run with --omit=prod?)';
} else {
  mkdirSync(dirname(logFile), { recursive: true });
  const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build/cmake'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  writeFileSync(logFile, `${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    failure = `the build failed (log: ${logFile}):\n${tail}`;
  } else {
    failure = existsSync(built) ? probe(built) : `the build produced no ${built}`;
    if (failure !== null) failure = `the built engine does not load: ${failure}`;
  }
}
if (failure === null) {
  record({ engine: 'source', path: built, prebuild: prebuildReason });
  say('built the native engine from source');
  finish(true);
}
record({ engine: null, prebuild: prebuildReason, missing: [], failure: failure.split('\n')[0], fix: fixCommand([]) });
say(`${failure}\ntunable works without the native engine (TypeScript samplers only). To retry: ${fixCommand([])}`);
finish(false);
