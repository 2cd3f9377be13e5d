/**
 * backend 'auto' on a CUDA device that has no room (out of device memory, or a `deviceMemoryLimit` cap):
 * fitGP fits on the CPU instead, with a warning; a GPSampler step whose acquisition search runs out is
 * rerun on the CPU with the same seeds. A forced 'cuda' keeps the typed error, and other device errors
 * are not retried. The device is a stand-in here: the real CPU engine listed as 'cuda', whose constructor,
 * fit or maximize fail as the addon does (native/addon/errors.hpp): an Error with the CUDA backend's
 * message and its code (device memory: ERR_OUT_OF_MEMORY with `bytes` and `memory: 'device'`). On a GPU
 * machine test/gpu/compare.mjs runs the real case (a cap too small for the model).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { NativeAddon, NativeGP, NativeGPInit } from '../../src/native/binding.js';

const fail = { ctor: '', fit: '', maximize: '' };
const OOM = 'cuda: out of memory: the model\'s device memory cap of 1000 bytes would be exceeded (80000 bytes)';

/** The error the addon throws for one of the CUDA backend's messages (native/cuda/errors.hpp). */
function nativeFailure(message: string): Error {
  if (message.startsWith('cuda: out of memory:')) return Object.assign(new Error(message), { code: 'ERR_OUT_OF_MEMORY', bytes: 80000, memory: 'device' });
  if (message.startsWith('cuda: unavailable:')) return Object.assign(new Error(message), { code: 'ERR_BACKEND_UNAVAILABLE' });
  return Object.assign(new Error(message), { code: 'ERR_NATIVE' });
}

vi.mock('../../src/native/binding.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/native/binding.js')>();
  let fake: NativeAddon | undefined;
  const loadAddon = (): NativeAddon => {
    if (fake) return fake;
    const addon = real.loadAddon();
    const GP = function (init: NativeGPInit): NativeGP {
      if (init.backend === 'cuda' && fail.ctor) throw nativeFailure(fail.ctor);
      const inner = new addon.GP({ ...init, backend: 'cpu' });
      if (init.backend !== 'cuda') return inner;
      return new Proxy(inner, {
        get(target, key) {
          if (key === 'fit' && fail.fit) return () => Promise.reject(nativeFailure(fail.fit));
          if (key === 'maximize' && fail.maximize) return () => Promise.reject(nativeFailure(fail.maximize));
          const v = Reflect.get(target, key) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    } as unknown as NativeAddon['GP'];
    fake = {
      abiVersion: addon.abiVersion,
      buildSystem: addon.buildSystem,
      backends: () => ['cuda', 'cpu'],
      cudaStatus: (probe) => addon.cudaStatus(probe),
      tuneHostAllocator: () => addon.tuneHostAllocator(),
      choleskyBenchmark: (n, r, t) => addon.choleskyBenchmark(n, r, t),
      firstInvalid: (data, lo, hi) => addon.firstInvalid(data, lo, hi),
      GP,
    };
    return fake;
  };
  return { ...real, loadAddon };
});

const { engine } = await import('../../src/engine/index.js');
const { NativeError, OutOfMemoryError } = await import('../../src/errors.js');
const { createStudy, GPSampler } = await import('../../src/index.js');

const hasEngine = (() => {
  try {
    return engine.backends().length > 0;
  } catch {
    return false;
  }
})();

const X = [[0.1, 0.2], [0.5, 0.9], [0.8, 0.3], [0.3, 0.6], [0.9, 0.9], [0.2, 0.7]];
const y = [1, 2, 0.5, 1.5, 0.2, 1.1];

afterEach(() => {
  fail.ctor = fail.fit = fail.maximize = '';
});

describe.skipIf(!hasEngine)("backend 'auto' when the CUDA device has no room", () => {
  it('the stand-in lists cuda first, so auto picks it', async () => {
    expect(engine.backends()).toEqual(['cuda', 'cpu']);
    const gp = await engine.fitGP({ X, y, backend: 'auto', seed: 1 });
    expect(gp.backend).toBe('cuda');
    gp.dispose();
  });

  it.each(['ctor', 'fit'] as const)('out of memory in the %s: fitted on the CPU, same result, a warning', async (where) => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const ref = await engine.fitGP({ X, y, backend: 'cpu', seed: 1 });
      fail[where] = OOM;
      const gp = await engine.fitGP({ X, y, backend: 'auto', seed: 1 });
      expect(gp.backend).toBe('cpu');
      expect(gp.hyperparameters).toEqual(ref.hyperparameters);
      expect(gp.warnings[0]).toMatch(/^backend 'auto': the CUDA device had no room for this GP \(n = 6, d = 2\): cuda: out of memory: .*fitted on the CPU backend instead$/);
      const p = await gp.predict([[0.4, 0.4]]);
      expect(p.mean[0]).toBeCloseTo((await ref.predict([[0.4, 0.4]])).mean[0]!, 12);
      gp.dispose();
      ref.dispose();
      await new Promise((r) => setImmediate(r)); // 'warning' is emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    // Once per process: the first of these cases sees it.
    if (where === 'ctor') {
      expect(warnings.map((w) => (w as Error & { code?: string }).code)).toEqual(['TUNABLE_CUDA_OUT_OF_MEMORY']);
    } else {
      expect(warnings).toEqual([]);
    }
  });

  it("a forced 'cuda' keeps the typed error; other device errors are not retried", async () => {
    fail.fit = OOM;
    const forced = await engine.fitGP({ X, y, backend: 'cuda' }).catch((e: unknown) => e);
    expect(forced).toBeInstanceOf(OutOfMemoryError);
    expect(forced).toMatchObject({ code: 'ERR_OUT_OF_MEMORY', bytes: 80000, message: OOM });
    fail.fit = 'cuda: error: cudaErrorLaunchFailure: unspecified launch failure (in kernel_matrix)';
    const other = await engine.fitGP({ X, y, backend: 'auto' }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(NativeError);
    expect((other as Error).message).toMatch(/launch failure/);
    fail.fit = '';
    fail.ctor = 'cuda: error: cudaErrorIllegalAddress';
    const ctor = await engine.fitGP({ X, y, backend: 'auto' }).catch((e: unknown) => e);
    expect(ctor).toBeInstanceOf(NativeError);
  });

  it('GPSampler: a step whose acquisition search runs out reruns on the CPU with the same seeds', async () => {
    const run = async (backend: 'auto' | 'cpu') => {
      const study = await createStudy({ sampler: new GPSampler({ seed: 3, backend, nStartupTrials: 4 }) });
      await study.optimize((t) => (t.suggestFloat('a', 0, 1) - 0.3) ** 2 + (t.suggestFloat('b', -1, 1) + 0.2) ** 2, { nTrials: 8 });
      return study.trials.map((t) => t.params);
    };
    const cpu = await run('cpu');
    fail.maximize = OOM;
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    let auto;
    try {
      auto = await run('auto');
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(auto).toEqual(cpu);
    // fitGP's out-of-memory warning was shown above; the sampler's, with the same code, still shows (once).
    expect(warnings.map((w) => [(w as Error & { code?: string }).code, w.message.slice(0, 40)])).toEqual([
      ['TUNABLE_CUDA_OUT_OF_MEMORY', "GPSampler (backend 'auto'): the CUDA dev"],
    ]);
    fail.maximize = 'cuda: error: cudaErrorLaunchFailure';
    await expect(run('auto')).rejects.toThrow(/cudaErrorLaunchFailure/);
  });
});
