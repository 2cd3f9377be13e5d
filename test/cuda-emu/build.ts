/**
 * Builds the CUDA-backend emulator (see README.md): the real, unmodified native/cuda sources plus the
 * CPU engine (native/core, native/cpu) and the fakes of this folder, compiled with g++ into one
 * executable that runs the CUDA backend against the CPU backend. What it fakes and why is at the top
 * of each .cpp/.hpp here; this file only rewrites kernel launches and drives g++.
 *
 * The one source transformation: each `kernel<<<grid, block, 0, stream>>>(args)` of native/cuda/*.cu
 * becomes `::emu::launch("kernel", grid, block, stream, kernel, args)` (line numbers kept, and a #line
 * directive points diagnostics at the .cu file), and `#include <cuda_runtime.h>` becomes emu.hpp.
 * Kernels that use __syncthreads/__shfl_*_sync, directly or through a __device__ helper, are listed
 * for emu.cpp, which runs only those as coroutines.
 *
 * Objects are rebuilt only when a source/header they depend on (g++ -MMD) or their command changed.
 *
 * CLI: node --import tsx test/cuda-emu/build.ts [--sanitize=none|device|all] [--out=DIR] [--run]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');

/**
 * none: plain -O1. device: AddressSanitizer + UBSan on the CUDA side only (native/cuda, the kernels,
 * the fakes), where out-of-bounds device accesses would otherwise go unnoticed. all: on everything.
 */
export type Sanitize = 'none' | 'device' | 'all';

export interface Toolchain {
  cxx: string;
  cudaInclude: string;
  eigenInclude: string;
}

/** The compiler and include folders, or why the emulator cannot be built here. */
export function findToolchain(): Toolchain | { missing: string } {
  const cxx = process.env.CXX || 'g++';
  if (spawnSync(cxx, ['--version']).status !== 0) return { missing: `${cxx} not found (set CXX)` };
  const cudaHome = process.env.CUDA_HOME || process.env.CUDA_PATH || '/usr/local/cuda';
  const cudaInclude = path.join(cudaHome, 'include');
  if (!existsSync(path.join(cudaInclude, 'cuda_runtime.h'))) {
    return { missing: `CUDA headers not found: no ${path.join(cudaInclude, 'cuda_runtime.h')} (set CUDA_HOME)` };
  }
  const eigenInclude = process.env.EIGEN_INCLUDE || '/usr/include/eigen3';
  if (!existsSync(path.join(eigenInclude, 'Eigen/Core'))) return { missing: `Eigen not found in ${eigenInclude} (set EIGEN_INCLUDE)` };
  return { cxx, cudaInclude, eigenInclude };
}

/** Offset of the bracket closing the one at `open` (`(` or `{`), skipping nested pairs. */
function closing(src: string, open: number): number {
  const o = src[open]!;
  const c = o === '(' ? ')' : '}';
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === o) depth++;
    else if (src[i] === c && --depth === 0) return i;
  }
  throw new Error(`unbalanced ${o} at offset ${open}`);
}

/** Top-level comma split (commas inside parentheses/braces/angle brackets of casts stay). */
function splitArgs(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if ('({['.includes(ch)) depth++;
    else if (')}]'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  parts.push(cur.trim());
  return parts;
}

/** Names of the __global__ functions of `src` that reach a block/warp barrier (directly or via __device__ calls). */
export function barrierKernels(src: string): string[] {
  const fns = new Map<string, { global: boolean; body: string }>();
  const def = /\b(__global__|__device__)\b[^;{}()]*?\b(\w+)\s*\(/g;
  for (let m = def.exec(src); m; m = def.exec(src)) {
    const paren = m.index + m[0].length - 1;
    const afterParams = closing(src, paren) + 1;
    const brace = src.indexOf('{', afterParams);
    const semi = src.indexOf(';', afterParams);
    if (brace < 0 || (semi >= 0 && semi < brace)) continue; // a declaration
    const end = closing(src, brace);
    fns.set(m[2]!, { global: m[1] === '__global__', body: src.slice(brace, end + 1) });
    def.lastIndex = end + 1;
  }
  const barrier = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const [name, f] of fns) {
      if (barrier.has(name)) continue;
      const direct = /\b(__syncthreads|__syncwarp|__shfl\w*)\s*\(/.test(f.body);
      const viaHelper = [...barrier].some((b) => new RegExp(`\\b${b}\\s*\\(`).test(f.body));
      if (direct || viaHelper) {
        barrier.add(name);
        changed = true;
      }
    }
  }
  return [...fns].filter(([n, f]) => f.global && barrier.has(n)).map(([n]) => n).sort();
}

/** kernels.cu → emulator C++ (see the header of this file). */
export function transformKernels(src: string, file: string): string {
  if (!src.includes('#include <cuda_runtime.h>')) throw new Error(`${file}: expected #include <cuda_runtime.h>`);
  let code = src.replace('#include <cuda_runtime.h>', '#include "emu.hpp"');
  const launch = /\b(\w+)\s*<<</g;
  let out = '';
  let at = 0;
  for (let m = launch.exec(code); m; m = launch.exec(code)) {
    const close = code.indexOf('>>>', m.index);
    const config = splitArgs(code.slice(m.index + m[0].length, close));
    const open = code.slice(close + 3).search(/\S/) + close + 3;
    if (code[open] !== '(' || config.length < 2 || config.length > 4) throw new Error(`${file}: cannot parse launch ${code.slice(m.index, open + 1)}`);
    if (config.length > 2 && config[2] !== '0') throw new Error(`${file}: ${m[1]} uses dynamic shared memory, which the emulator does not implement`);
    const noArgs = /^\(\s*\)/.test(code.slice(open));
    const replaced = code.slice(m.index, open + 1);
    const newlines = '\n'.repeat((replaced.match(/\n/g) ?? []).length); // keep line numbers
    out += code.slice(at, m.index);
    out += `::emu::launch("${m[1]}", ${config[0]}, ${config[1]}, ${config[3] ?? 'nullptr'}, ${m[1]}${noArgs ? '' : ', '}${newlines}`;
    at = open + 1;
  }
  code = out + code.slice(at);
  return `#line 1 "${file}"\n${code}`;
}

function writeIfChanged(file: string, text: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  writeFileSync(file, text);
}

/** Files listed in a g++ -MMD dependency file (null when it is missing). */
function depsOf(depFile: string): string[] | null {
  if (!existsSync(depFile)) return null;
  const text = readFileSync(depFile, 'utf8').replace(/\\\n/g, ' ');
  const first = text.split('\n')[0] ?? '';
  return first.slice(first.indexOf(':') + 1).trim().split(/\s+/).filter(Boolean);
}

function upToDate(obj: string, command: string): boolean {
  const deps = depsOf(`${obj}.d`);
  if (!deps || !existsSync(obj) || !existsSync(`${obj}.cmd`) || readFileSync(`${obj}.cmd`, 'utf8') !== command) return false;
  const built = statSync(obj).mtimeMs;
  return deps.every((d) => existsSync(d) && statSync(d).mtimeMs <= built);
}

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (b: Buffer) => (output += b.toString()));
    p.stderr.on('data', (b: Buffer) => (output += b.toString()));
    p.on('close', (code) => resolve({ code: code ?? 1, output }));
    p.on('error', (e) => resolve({ code: 1, output: String(e) }));
  });
}

export interface BuildOptions {
  outDir: string;
  sanitize: Sanitize;
  jobs?: number;
  log?: (line: string) => void;
}

export interface BuildResult {
  exe: string;
  compiled: number;
  reused: number;
  seconds: number;
}

const cppIn = (dir: string) => readdirSync(path.join(repoRoot, dir)).filter((f) => f.endsWith('.cpp')).sort().map((f) => path.join(repoRoot, dir, f));

/** Builds (incrementally) and returns the executable's path; throws with the compiler's output on failure. */
export async function buildEmulator(opts: BuildOptions): Promise<BuildResult> {
  const t0 = Date.now();
  const tc = findToolchain();
  if ('missing' in tc) throw new Error(tc.missing);
  const log = opts.log ?? (() => {});
  const objDir = path.join(opts.outDir, `obj-${opts.sanitize}`);
  mkdirSync(objDir, { recursive: true });

  // Generated sources: each native/cuda/*.cu rewritten, and the list of barrier kernels.
  const genDir = path.join(opts.outDir, 'gen');
  mkdirSync(genDir, { recursive: true });
  const cuda = path.join(repoRoot, 'native/cuda');
  const generated: string[] = [];
  const coop: string[] = [];
  for (const f of readdirSync(cuda).filter((x) => x.endsWith('.cu')).sort()) {
    const src = readFileSync(path.join(cuda, f), 'utf8');
    const out = path.join(genDir, `${f}.cpp`);
    writeIfChanged(out, transformKernels(src, path.join(cuda, f)));
    generated.push(out);
    coop.push(...barrierKernels(src));
  }
  const coopFile = path.join(genDir, 'coop_kernels.cpp');
  writeIfChanged(coopFile, `// Generated by test/cuda-emu/build.ts: kernels that use a block or warp barrier.\n#include "emu.hpp"\n`
    + `const char* const emu::kCoopKernels[] = {${coop.map((k) => `"${k}", `).join('')}nullptr};\n`);
  log(`barrier kernels (run as coroutines): ${coop.join(', ')}`);

  // What the engine's own build compiles (CMakeLists.txt globs), less the addon and the dlopen shim.
  // The slow (Eigen) units first, so the parallel compile does not end waiting on one of them.
  const host = [...cppIn('native/cpu'), path.join(here, 'main.cpp'), ...cppIn('native/core')];
  const device = [...cppIn('native/cuda'), ...generated, coopFile, ...['emu.cpp', 'fakecuda.cpp', 'fakeblas.cpp'].map((f) => path.join(here, f))];

  const san = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];
  const base = ['-std=c++17', '-O1', '-g', '-DTUNABLE_WITH_CUDA=1', `-I${tc.cudaInclude}`, `-I${tc.eigenInclude}`,
    `-I${path.join(repoRoot, 'native')}`, `-I${cuda}`, `-I${here}`];
  const units = [
    ...host.map((src) => ({ src, flags: opts.sanitize === 'all' ? [...base, ...san] : base })),
    ...device.map((src) => ({ src, flags: opts.sanitize === 'none' ? base : [...base, ...san] })),
  ].map((u, i) => ({ ...u, obj: path.join(objDir, `${String(i).padStart(2, '0')}-${path.basename(u.src)}.o`) }));

  let compiled = 0;
  const todo = units.filter((u) => !upToDate(u.obj, [tc.cxx, ...u.flags, u.src].join(' ')));
  const failures: string[] = [];
  const jobs = Math.max(1, opts.jobs ?? os.availableParallelism());
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(jobs, todo.length) }, async () => {
    while (next < todo.length) {
      const u = todo[next++]!;
      const t = Date.now();
      const r = await run(tc.cxx, [...u.flags, '-MMD', '-MF', `${u.obj}.d`, '-c', u.src, '-o', u.obj]);
      if (r.code !== 0) {
        failures.push(`${path.relative(repoRoot, u.src)}:\n${r.output}`);
        continue;
      }
      writeFileSync(`${u.obj}.cmd`, [tc.cxx, ...u.flags, u.src].join(' '));
      compiled++;
      log(`compiled ${path.relative(repoRoot, u.src)} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    }
  }));
  if (failures.length) throw new Error(`cuda-emu: compilation failed\n${failures.join('\n')}`);

  const exe = path.join(opts.outDir, `cuda-emu-${opts.sanitize}`);
  const linkFlags = opts.sanitize === 'none' ? [] : san;
  const objs = units.map((u) => u.obj);
  const newest = Math.max(...objs.map((o) => statSync(o).mtimeMs));
  if (compiled > 0 || !existsSync(exe) || statSync(exe).mtimeMs < newest) {
    const r = await run(tc.cxx, [...linkFlags, ...objs, '-o', exe]);
    if (r.code !== 0) throw new Error(`cuda-emu: link failed\n${r.output}`);
  }
  return { exe, compiled, reused: units.length - compiled, seconds: (Date.now() - t0) / 1000 };
}

/** Default output folder (build/ is git-ignored). */
export const defaultOutDir = path.join(repoRoot, 'build/cuda-emu');

/** The sanitizer setting from TUNABLE_CUDA_EMU_SANITIZE (default: device). */
export function sanitizeFromEnv(): Sanitize {
  const v = process.env.TUNABLE_CUDA_EMU_SANITIZE ?? 'device';
  if (v === 'none' || v === 'device' || v === 'all') return v;
  throw new Error(`TUNABLE_CUDA_EMU_SANITIZE must be none, device or all (got ${v})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const sanitize = (arg('sanitize') ?? sanitizeFromEnv()) as Sanitize;
  const outDir = path.resolve(arg('out') ?? defaultOutDir);
  buildEmulator({ outDir, sanitize, log: (l) => console.log(l) }).then((r) => {
    console.log(`built ${r.exe} in ${r.seconds.toFixed(1)} s (${r.compiled} compiled, ${r.reused} up to date)`);
    if (process.argv.includes('--run')) process.exit(spawnSync(r.exe, { stdio: 'inherit' }).status ?? 1);
  }, (e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
