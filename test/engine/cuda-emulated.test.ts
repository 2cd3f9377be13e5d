/**
 * The CUDA backend without a GPU: test/cuda-emu compiles the real, unmodified native/cuda sources (kernels
 * included) against a CPU emulation of the device, the CUDA runtime and cuBLAS/cuSOLVER, and runs them
 * against the CPU backend through GPModel (test/cuda-emu/main.cpp). Each check of that program is one case
 * here; the fake device must end with every allocation, stream and library handle released.
 *
 * Build and run happen while this file is collected (so that each check can be its own case), in
 * build/cuda-emu/ (incremental): 1-1.5 min from scratch on 2 cores, under a minute after. Skipped where
 * g++, the CUDA headers ($CUDA_HOME or /usr/local/cuda) or Eigen are missing. TUNABLE_CUDA_EMU_SANITIZE=none|device|all selects
 * AddressSanitizer + UBSan: device (default) instruments the CUDA side (native/cuda, kernels, fakes), all
 * also the CPU engine (about 2.5 min), none neither. Threads of a block run in a shuffled order
 * (EMU_SHUFFLE), so a kernel that relies on an unsynchronised order fails.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { buildEmulator, defaultOutDir, findToolchain, repoRoot, sanitizeFromEnv, type Sanitize } from '../cuda-emu/build.js';

const BUILD_TIMEOUT_MS = 15 * 60_000;
const RUN_TIMEOUT_MS = 15 * 60_000;

interface Check {
  name: string;
  pass: boolean;
  line: string;
  notes: string[]; // the indented notes printed just before the check
}

interface Summary {
  passed: number;
  failed: number;
  live: number; // device bytes still allocated
  peak: number;
  mallocs: number;
  frees: number;
  handles: number; // cuBLAS + cuSOLVER handles alive
  streams: number; // CUDA streams alive
  pinned: number; // page-locked host buffers alive
  events: number; // CUDA events alive
}

interface Outcome {
  sanitize: Sanitize;
  error?: string; // build failure or timeout
  code?: number | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  checks: Check[];
  summary?: Summary | undefined;
  seconds: { build: number; run: number };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

function runExe(exe: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(exe, [], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        EMU_SHUFFLE: '1',
        ASAN_OPTIONS: 'detect_leaks=1:detect_stack_use_after_return=0',
        UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
      },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), RUN_TIMEOUT_MS);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const checkLine = /^(PASS|FAIL) {2}(.+?)\s+rel err \S+ \(limit \S+\)$/;
const summaryLine = /^emulated CUDA vs CPU: (\d+) passed, (\d+) failed; device bytes live (\d+) \(peak (\d+)\), mallocs (\d+) frees (\d+), handles (-?\d+), streams (-?\d+), pinned (-?\d+), events (-?\d+)$/;

function parse(stdout: string): Pick<Outcome, 'checks' | 'summary'> {
  const checks: Check[] = [];
  let notes: string[] = [];
  let summary: Summary | undefined;
  for (const line of stdout.split('\n')) {
    const c = checkLine.exec(line);
    const s = summaryLine.exec(line);
    if (c) {
      checks.push({ name: c[2]!, pass: c[1] === 'PASS', line, notes });
      notes = [];
    } else if (s) {
      const [passed, failed, live, peak, mallocs, frees, handles, streams, pinned, events] = s.slice(1).map(Number) as number[];
      summary = { passed: passed!, failed: failed!, live: live!, peak: peak!, mallocs: mallocs!, frees: frees!, handles: handles!, streams: streams!, pinned: pinned!, events: events! };
    } else if (line.startsWith('      ')) {
      notes.push(line.trim());
    }
  }
  return { checks, summary };
}

async function buildAndRun(): Promise<Outcome> {
  const sanitize = sanitizeFromEnv();
  const t0 = Date.now();
  const empty = { sanitize, stdout: '', stderr: '', checks: [] };
  let exe: string;
  try {
    exe = (await withTimeout(buildEmulator({ outDir: defaultOutDir, sanitize }), BUILD_TIMEOUT_MS, 'the emulator build')).exe;
  } catch (e) {
    return { ...empty, error: (e as Error).message, seconds: { build: (Date.now() - t0) / 1000, run: 0 } };
  }
  const t1 = Date.now();
  const r = await runExe(exe);
  const seconds = { build: (t1 - t0) / 1000, run: (Date.now() - t1) / 1000 };
  console.log(`cuda-emu (sanitize=${sanitize}): built in ${seconds.build.toFixed(1)} s, ran in ${seconds.run.toFixed(1)} s (${path.relative(repoRoot, exe)})`);
  return { sanitize, ...r, ...parse(r.stdout), seconds };
}

const toolchain = findToolchain();
const missing = 'missing' in toolchain ? toolchain.missing : null;
if (missing) console.warn(`cuda-emulated.test.ts skipped: ${missing}`);
const outcome: Outcome | null = missing ? null : await buildAndRun();

const tail = (s: string, lines = 40) => s.trimEnd().split('\n').slice(-lines).join('\n');

describe.skipIf(missing !== null)(`CUDA backend on an emulated device vs the CPU backend${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const o = outcome!;

  it('builds and runs to completion, without emulator, fake-CUDA or sanitizer errors', () => {
    expect(o.error, o.error).toBeUndefined();
    const diag = `exit ${o.code} signal ${o.signal}\n--- stderr ---\n${tail(o.stderr)}\n--- stdout ---\n${tail(o.stdout, 15)}`;
    expect(o.summary, `no summary line: the program died early\n${diag}`).toBeDefined();
    expect(o.stderr, diag).not.toMatch(/EMU ERROR|FAKE CUDA ERROR|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:/);
    expect(o.signal, diag).toBeNull();
    expect(o.code === 0 || (o.code === 1 && (o.summary?.failed ?? 0) > 0), diag).toBe(true);
  });

  it('the summary agrees with the check lines, and every check passed', () => {
    const failed = o.checks.filter((c) => !c.pass).map((c) => [...c.notes.map((n) => `  ${n}`), c.line].join('\n'));
    expect(o.checks.length).toBeGreaterThan(0);
    expect(o.summary?.passed).toBe(o.checks.length - failed.length);
    expect(o.summary?.failed).toBe(failed.length);
    expect(failed, `failing checks:\n${failed.join('\n')}`).toEqual([]);
  });

  it('device memory, streams and cuBLAS/cuSOLVER handles are all released', () => {
    const s = o.summary;
    expect(s, 'no summary line').toBeDefined();
    expect(s!.mallocs).toBeGreaterThan(0);
    expect(s!.live, 'device bytes still allocated at exit').toBe(0);
    expect(s!.frees, 'cudaFree calls vs cudaMalloc calls').toBe(s!.mallocs);
    expect(s!.handles, 'cuBLAS + cuSOLVER handles still alive').toBe(0);
    expect(s!.streams, 'CUDA streams not destroyed').toBe(0);
    expect(s!.pinned, 'page-locked host buffers not freed').toBe(0);
    expect(s!.events, 'CUDA events not destroyed').toBe(0);
  });

  // Every backend the emulator's checks build has Tuning::profile set (fitGP's debug.profile).
  it('Tuning::profile: every posterior and acquisition call prints its host and device times', () => {
    const lines = o.stderr.split('\n').filter((l) => /^cuda (posterior|acquisition):/.test(l));
    expect(lines.some((l) => l.startsWith('cuda posterior:')), tail(o.stderr)).toBe(true);
    expect(lines.some((l) => l.startsWith('cuda acquisition:')), tail(o.stderr)).toBe(true);
    const shape = /^cuda (posterior|acquisition): n \d+, m \d+, \d+ blocks of \d+: enqueue [\d.]+ ms, device drain [\d.]+ ms, download [\d.]+ ms; device span [\d.]+ ms: upload [\d.]+ ms, kernel [\d.]+ ms, mean [\d.]+ ms, solve [\d.]+ ms, variance [\d.]+ ms(, gradient [\d.]+ ms)?$/;
    for (const l of lines) expect(l).toMatch(shape);
  });

  for (const c of o?.checks ?? []) {
    it(c.name, () => {
      expect(c.pass, [...c.notes, c.line].join('\n')).toBe(true);
    });
  }
});
