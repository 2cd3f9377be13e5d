/**
 * Running out of host memory in the native engine is an OutOfMemoryError, never an abort. A child
 * process fits a GP too large for a data-segment limit (`ulimit -d`: RLIMIT_DATA, which malloc's mmap
 * respects; `ulimit -v` would also starve the address space V8 and WebAssembly reserve up front), then
 * fits a small one, and exits 0. Before the fix the allocation failed inside an OpenMP region, where a
 * C++ exception calls std::terminate: the child died of SIGABRT.
 *
 * Two paths: the fail-fast check before the (n, n) matrices are allocated (default), and, with
 * `debug: { memoryCheck: false }`, the allocation itself failing inside the parallel region (the catch-all):
 * the bytes in the error say which path ran (3 matrices requested at once, or the first one allocated).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { engine } from '../../src/engine/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const child = path.join(here, 'fixtures', 'oom-child.ts');
const LIMIT_KB = 4_000_000; // the data segment: 4 GB

const canLimit = process.platform === 'linux' && spawnSync('bash', ['-c', `ulimit -d ${LIMIT_KB}`]).status === 0;
const hasCpu = engine.backends().includes('cpu');

interface Step {
  step: string;
  fitted?: boolean;
  name?: string;
  isOutOfMemory?: boolean;
  code?: string;
  bytes?: number | null;
  message?: string;
  finite?: boolean;
}

function runChild(n: number, d: number, threads: number, memoryCheck: 'on' | 'off') {
  const node = [process.execPath, '--import', 'tsx', child, String(n), String(d), String(threads), memoryCheck].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('bash', ['-c', `ulimit -d ${LIMIT_KB} && exec ${node}`], {
    cwd: repoRoot,
    env: process.env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const steps = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Step);
  return { status: r.status, signal: r.signal, stderr: r.stderr, large: steps.find((s) => s.step === 'large'), small: steps.find((s) => s.step === 'small') };
}

describe.skipIf(!canLimit || !hasCpu)('out of host memory in fitGP (child process under ulimit -d)', () => {
  it.each([
    // n = 60000, d = 1: one (n, n) matrix is 28.8 GB.
    ['fail-fast check, n = 60000', 60000, 1, 1, 'on', 3 * 60000 ** 2 * 8],
    ['fail-fast check, n = 15000, 2 threads', 15000, 2, 2, 'on', 3 * 15000 ** 2 * 8],
    // debug.memoryCheck false: the kernel matrix's allocation fails inside the likelihood's parallel region.
    ['allocation in the parallel region, n = 60000', 60000, 1, 1, 'off', 60000 ** 2 * 8],
    ['allocation in the parallel region, n = 60000, 2 threads', 60000, 1, 2, 'off', 60000 ** 2 * 8],
  ] as const)('%s: OutOfMemoryError with the bytes, then a small fit, exit 0', (_name, n, d, threads, memoryCheck, bytes) => {
    const r = runChild(n, d, threads, memoryCheck);
    expect({ status: r.status, signal: r.signal, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(r.large).toMatchObject({ fitted: false, name: 'OutOfMemoryError', isOutOfMemory: true, code: 'ERR_OUT_OF_MEMORY', bytes });
    expect(r.large!.message).toMatch(/^out of memory: .*\(\d+ bytes\) for /);
    expect(r.small).toEqual({ step: 'small', n: 30, finite: true });
  });
});
