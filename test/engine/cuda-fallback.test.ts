/**
 * The non-GPU path of the CUDA backend, tested on every machine: the addon (built with CUDA when nvcc
 * is found) loads without a device/driver/libraries, lists only 'cpu', `auto` falls back to the CPU,
 * a forced `cuda` is a BackendUnavailableError naming why, and the cuBLAS/cuSOLVER shim
 * (native/cuda/shim/loader.cpp) finds libraries through TUNABLE_CUDA_LIB_DIR and names what is missing.
 * On a machine with a usable device the fallback assertions are skipped (test/gpu covers that case).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { BackendUnavailableError } from '../../src/errors.js';
import { engine, ENGINE_DEFAULTS, resolveBackend } from '../../src/engine/index.js';
import { addonCandidates, loadAddonFrom } from '../../src/native/binding.js';

const cmake = loadAddonFrom('cmake-js');
const cmakePath = addonCandidates().find((c) => c.buildSystem === 'cmake-js')!.path;
const status = engine.cudaStatus();
const cudaHere = status.available;

describe('CUDA backend selection (no device needed)', () => {
  it('cudaStatus never throws and explains itself', () => {
    expect(typeof status.compiled).toBe('boolean');
    expect(status.available ? status.reason : status.reason.length > 0).toBeTruthy();
    const probed = engine.cudaStatus({ probeLibraries: true });
    expect(probed.available).toBe(status.available);
  });

  it.skipIf(cudaHere)('without a usable device: backends() is [cpu], auto → cpu, cuda → BackendUnavailableError', async () => {
    expect(engine.backends()).toEqual(['cpu']);
    const X = [[0.1, 0.2], [0.5, 0.9], [0.8, 0.3], [0.3, 0.6]];
    const y = [1, 2, 0.5, 1.5];
    const gp = await engine.fitGP({ X, y, backend: 'auto', restarts: 0 });
    expect(gp.backend).toBe('cpu');
    gp.dispose();
    const err = await engine.fitGP({ X, y, backend: 'cuda' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/cuda backend is not available/);
    if (status.compiled) expect(msg).toMatch(/no usable CUDA device|cuBLAS|cuSOLVER/);
    else expect(msg).toMatch(/no CUDA backend/);
  });

  it.skipIf(cudaHere || !cmake?.cudaStatus?.().compiled)('the native constructor with backend cuda is a typed message, not a crash', () => {
    expect(() => new cmake!.GP({
      X: new Float64Array([0.1, 0.2]), y: new Float64Array([1, 2]), n: 2, d: 1, kernel: 'matern52', categorical: [null], threads: 1, backend: 'cuda',
      deviceMemoryLimit: 0, debug: ENGINE_DEFAULTS.debug,
    })).toThrow(/^cuda: unavailable: /);
  });

  it('resolveBackend: auto prefers cuda when listed; a forced cuda names the reason', () => {
    const withCuda = { backends: () => ['cuda', 'cpu'] };
    expect(resolveBackend('auto', withCuda)).toBe('cuda');
    expect(resolveBackend('cpu', withCuda)).toBe('cpu');
    const noDevice = {
      backends: () => ['cpu'],
      cudaStatus: () => ({ compiled: true, available: false, devices: 0, device: '', cublas: '', cusolver: '', reason: 'no usable CUDA device: cudaErrorNoDevice' }),
    };
    expect(resolveBackend('auto', noDevice)).toBe('cpu');
    expect(() => resolveBackend('cuda', noDevice)).toThrow(BackendUnavailableError);
    expect(() => resolveBackend('cuda', noDevice)).toThrow(/cudaErrorNoDevice/);
    expect(() => resolveBackend('cuda', { backends: () => ['cpu'] })).toThrow(/no CUDA backend/);
  });
});

// Fake cuBLAS/cuSOLVER (every entry point the shim resolves, returning an error status) built with cc.
const CUBLAS = ['cublasCreate_v2', 'cublasDestroy_v2', 'cublasSetStream_v2', 'cublasDtrsm_v2', 'cublasStrsm_v2', 'cublasDgemm_v2', 'cublasDsyrk_v2', 'cublasDgemv_v2'];
const CUSOLVER = ['cusolverDnCreate', 'cusolverDnDestroy', 'cusolverDnSetStream', 'cusolverDnDpotrf_bufferSize', 'cusolverDnDpotrf', 'cusolverDnDpotrs', 'cusolverDnDpotrfBatched'];

function haveCc(): boolean {
  return spawnSync('cc', ['--version']).status === 0;
}

function fakeLib(dir: string, file: string, symbols: string[]): void {
  const src = path.join(dir, `${file}.c`);
  writeFileSync(src, symbols.map((s) => `int ${s}(void) { return 1; }`).join('\n') + '\n');
  execFileSync('cc', ['-shared', '-fPIC', '-o', path.join(dir, file), src]);
}

function probe(libDir: string): { cublas: string; cusolver: string; reason: string } {
  const out = execFileSync(process.execPath, ['-e', `const a = require(process.argv[1]); console.log(JSON.stringify(a.cudaStatus(true)));`, cmakePath], {
    env: { ...process.env, TUNABLE_CUDA_LIB_DIR: libDir, LD_LIBRARY_PATH: '' },
    encoding: 'utf8',
  });
  return JSON.parse(out) as { cublas: string; cusolver: string; reason: string };
}

describe.skipIf(!cmake?.cudaStatus?.().compiled || cudaHere || !haveCc())('cuBLAS/cuSOLVER shim (fake libraries)', () => {
  it('loads every library from TUNABLE_CUDA_LIB_DIR and resolves every entry point', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tunable-cudalib-'));
    fakeLib(dir, 'libcublasLt.so.13', ['cublasLtCreate']);
    fakeLib(dir, 'libcublas.so.13', CUBLAS);
    fakeLib(dir, 'libcusolver.so.12', CUSOLVER);
    const s = probe(`/nonexistent:${dir}/`);
    expect(s.cublas).toBe(path.join(dir, 'libcublas.so.13'));
    expect(s.cusolver).toBe(path.join(dir, 'libcusolver.so.12'));
    expect(s.reason).toMatch(/no usable CUDA device/);
    expect(s.reason).not.toMatch(/cuSOLVER could not|lack entry points/);
  });

  it('names a missing library and a missing entry point', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tunable-cudalib-'));
    fakeLib(dir, 'libcublasLt.so.12', ['cublasLtCreate']);
    fakeLib(dir, 'libcublas.so.12', CUBLAS);
    const missing = probe(dir);
    expect(missing.cublas).toBe(path.join(dir, 'libcublas.so.12'));
    expect(missing.reason).toMatch(/libcusolver not found \(tried libcusolver\.so\.12, libcusolver\.so\.11, libcusolver\.so/);
    expect(missing.reason).toMatch(/TUNABLE_CUDA_LIB_DIR/);
    fakeLib(dir, 'libcusolver.so.11', CUSOLVER.filter((s) => s !== 'cusolverDnDpotrs' && s !== 'cusolverDnDpotrfBatched'));
    const partial = probe(dir);
    expect(partial.cusolver).toBe(path.join(dir, 'libcusolver.so.11'));
    expect(partial.reason).toMatch(/symbol cusolverDnDpotrs missing/);
    expect(partial.reason).not.toMatch(/cusolverDnDpotrfBatched/); // optional
  });
});
