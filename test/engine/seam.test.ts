/**
 * The native seam is one contract (native/README.md, "Native surface"): TypeScript resolves every option
 * once (src/engine/options.ts) and the addon's converter refuses an options object with a missing field, a
 * wrong type or an unknown enum string, with code ERR_INVALID_ARGUMENT naming the field (mapped to
 * InvalidArgumentError by nativeError). The loader refuses an addon of another seam version with the
 * rebuild hint. Loading the addon changes no process-wide setting.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

import { engine, ENGINE_DEFAULTS } from '../../src/engine/index.js';
import { InvalidArgumentError } from '../../src/errors.js';
import {
  ADDON_ABI_VERSION,
  callNative,
  callNativeSync,
  checkAddon,
  loadAddon,
  StaleAddonError,
  type NativeAcqOptions,
  type NativeFitOptions,
  type NativeGP,
  type NativeGPInit,
  type NativeThompsonOptions,
} from '../../src/native/binding.js';
import { randomData } from './helpers.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const hasEngine = engine.backends().length > 0;
const none = new Float64Array(0);

function init(): NativeGPInit {
  const { X, y } = randomData(12, 2, 3);
  return {
    X: Float64Array.from(X.flat()), y: Float64Array.from(y), n: 12, d: 2, kernel: 'matern52', categorical: [null, null],
    threads: 1, backend: 'cpu', deviceMemoryLimit: 0, debug: { ...ENGINE_DEFAULTS.debug },
  };
}
const fitOptions = (): NativeFitOptions => ({ restarts: 1, seed: 0, warm: none, fixedMask: none, fixedAll: false, maxIterations: 0, keep: 0, noiseFloor: 1e-6 });
const acqOptions = (): NativeAcqOptions => ({
  acquisition: 'logei', best: NaN, beta: 2, pending: none, fantasy: 'mean', rawSamples: 16, restarts: 2, seed: 0, integer: [null, null], maxIterations: 20, float32: false,
});
const thompsonOptions = (): NativeThompsonOptions => ({ q: 1, candidates: 16, seed: 0, pending: none, integer: [null, null] });

/** The addon's error for `call`, as thrown (synchronous) or rejected. */
async function nativeFailure(call: () => unknown): Promise<{ code?: unknown; message: string }> {
  try {
    await call();
  } catch (e) {
    return e as { code?: unknown; message: string };
  }
  throw new Error('the call did not fail');
}

function without<T extends object>(o: T, key: string): T {
  const c = { ...o } as Record<string, unknown>;
  delete c[key];
  return c as T;
}

describe.skipIf(!hasEngine)('the converter (raw addon through the binding)', () => {
  const addon = hasEngine ? loadAddon() : undefined;
  let fitted: NativeGP | undefined;
  const model = async (): Promise<NativeGP> => {
    if (!fitted) {
      fitted = new addon!.GP(init());
      await fitted.fit(fitOptions());
    }
    return fitted;
  };

  it('a complete object is accepted (the baseline of the refusals below)', async () => {
    const gp = await model();
    await expect(gp.maximize(acqOptions())).resolves.toMatchObject({ value: expect.any(Number) });
    await expect(gp.thompson(thompsonOptions())).resolves.toMatchObject({ jitter: expect.any(Number) });
  });

  it.each(Object.keys(init()))('new GP without `%s`: ERR_INVALID_ARGUMENT naming it', async (key) => {
    const e = await nativeFailure(() => new addon!.GP(without(init(), key)));
    expect(e.code).toBe('ERR_INVALID_ARGUMENT');
    expect(e.message).toBe(`native: missing field \`${key}\``);
  });

  it.each(Object.keys(ENGINE_DEFAULTS.debug))('new GP without `debug.%s`: refused', async (key) => {
    const e = await nativeFailure(() => new addon!.GP({ ...init(), debug: without(init().debug, key) }));
    expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: `native: missing field \`${key}\`` });
  });

  it.each(Object.keys(fitOptions()))('fit without `%s`: refused', async (key) => {
    const gp = new addon!.GP(init());
    try {
      const e = await nativeFailure(() => gp.fit(without(fitOptions(), key)));
      expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: `native: missing field \`${key}\`` });
    } finally {
      gp.dispose();
    }
  });

  it.each(Object.keys(acqOptions()))('maximize and acquisition without `%s`: refused', async (key) => {
    const gp = await model();
    const a = await nativeFailure(() => gp.maximize(without(acqOptions(), key)));
    expect(a).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: `native: missing field \`${key}\`` });
    const b = await nativeFailure(() => gp.acquisition(Float64Array.of(0.5, 0.5), without(acqOptions(), key), false));
    expect(b).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: `native: missing field \`${key}\`` });
  });

  it.each(Object.keys(thompsonOptions()))('thompson without `%s`: refused', async (key) => {
    const gp = await model();
    const e = await nativeFailure(() => gp.thompson(without(thompsonOptions(), key)));
    expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: `native: missing field \`${key}\`` });
  });

  it.each(['gradient', 'covariance', 'float32'])('predict without `%s`: refused', async (key) => {
    const gp = await model();
    const o = { gradient: false, covariance: false, float32: false };
    const e = await nativeFailure(() => gp.predict(Float64Array.of(0.5, 0.5), without(o, key) as typeof o));
    expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: `native: missing field \`${key}\`` });
  });

  it('enums cross as strings: an unknown string is refused, naming the field and the choices', async () => {
    const k = await nativeFailure(() => new addon!.GP({ ...init(), kernel: 'matern32' as 'rbf' }));
    expect(k).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: "native: unknown value 'matern32' for `kernel` (expected one of 'matern52', 'rbf')" });
    const s = await nativeFailure(() => new addon!.GP({ ...init(), debug: { ...init().debug, solve: 'magma' as 'cublas' } }));
    expect(s).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: "native: unknown value 'magma' for `solve` (expected one of 'blocked', 'cublas')" });
    const gp = await model();
    const a = await nativeFailure(() => gp.maximize({ ...acqOptions(), acquisition: 'qei' as 'ei' }));
    expect(a).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: "native: unknown value 'qei' for `acquisition` (expected one of 'logei', 'ei', 'pi', 'ucb')" });
    // The former numeric codes are refused too (a stale TypeScript against this build).
    const n = await nativeFailure(() => new addon!.GP({ ...init(), kernel: 1 as unknown as 'rbf' }));
    expect(n).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: 'native: expected a string for `kernel` but received a number' });
  });

  it('the code maps to InvalidArgumentError in one place (nativeError)', async () => {
    expect(() => callNativeSync(() => new addon!.GP(without(init(), 'threads')))).toThrow(InvalidArgumentError);
    const gp = await model();
    await expect(callNative(() => gp.fit(without(fitOptions(), 'noiseFloor')))).rejects.toThrow(InvalidArgumentError);
  });

  it('positional arguments are required too', async () => {
    const gp = await model();
    const e = await nativeFailure(() => (gp.acquisition as (...a: unknown[]) => unknown)(Float64Array.of(0.5, 0.5), acqOptions()));
    expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: 'native: expected a boolean for `gradient` but received nothing' });
    const c = await nativeFailure(() => (addon!.choleskyBenchmark as (...a: unknown[]) => unknown)(10));
    expect(c).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  afterAll(() => fitted?.dispose());
});

describe('the loader checks the seam version', () => {
  const fake = (abiVersion: unknown) => ({ GP: function GP() {}, backends: () => ['cpu'], abiVersion });

  it('an addon of this version is taken; another version, or none, is a StaleAddonError with the rebuild hint', () => {
    expect(checkAddon(fake(ADDON_ABI_VERSION))).toBeTruthy();
    expect(() => checkAddon(fake(ADDON_ABI_VERSION - 1))).toThrow(StaleAddonError);
    expect(() => checkAddon(fake(ADDON_ABI_VERSION - 1))).toThrow(
      `built for addon ABI ${ADDON_ABI_VERSION - 1}, this version of tunable needs ${ADDON_ABI_VERSION}: rebuild it with \`npm run build:native\``,
    );
    expect(() => checkAddon(fake(undefined))).toThrow(/built for addon ABI unknown \(no abiVersion\).*rebuild it/);
    expect(() => checkAddon({ backends: () => [] })).toThrow('not a tunable engine addon');
  });

  it('when every build is stale, loadAddon throws one BackendUnavailableError that says to rebuild', async () => {
    vi.resetModules();
    // Every candidate file "loads" as an addon of the previous seam version.
    vi.doMock('node:module', async (importOriginal) => {
      const real = await importOriginal<typeof import('node:module')>();
      return { ...real, createRequire: () => () => fake(ADDON_ABI_VERSION - 1) };
    });
    vi.doMock('node:fs', async (importOriginal) => {
      const real = await importOriginal<typeof import('node:fs')>();
      return { ...real, existsSync: (p: string) => String(p).endsWith('.node') || real.existsSync(p) };
    });
    try {
      const b = await import('../../src/native/binding.js');
      let err: unknown;
      try {
        b.loadAddon();
      } catch (e) {
        err = e;
      }
      // A fresh module graph: compare by name and code, not by class identity.
      expect(err).toMatchObject({ name: 'BackendUnavailableError', code: 'ERR_BACKEND_UNAVAILABLE' });
      const msg = (err as Error).message;
      expect(msg.split('\n')[0]).toMatch(/^The native GP engine at .*tunable\.node was built from another version of tunable; rebuild it: `npm run build:native`\.$/);
      expect(msg).toMatch(new RegExp(`cmake-js: .*: built for addon ABI ${ADDON_ABI_VERSION - 1}, this version of tunable needs ${ADDON_ABI_VERSION}`));
    } finally {
      vi.doUnmock('node:module');
      vi.doUnmock('node:fs');
      vi.resetModules();
    }
  });
});

describe.skipIf(!hasEngine)('no process-wide setting without an option', () => {
  it('loading the addon leaves OMP_WAIT_POLICY unset', () => {
    const env = { ...process.env };
    delete env['OMP_WAIT_POLICY'];
    delete env['GOMP_SPINCOUNT'];
    const code = "import('./src/engine/index.ts').then(({ engine }) => { engine.backends(); console.log(String(process.env.OMP_WAIT_POLICY)); })";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: repoRoot, env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('undefined');
  });

  it('the malloc thresholds are an explicit call (engine.tuneHostAllocator), true on glibc', () => {
    const glibc = process.platform === 'linux' && Boolean((process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);
    expect(engine.tuneHostAllocator()).toBe(glibc);
  });
});

describe.skipIf(!hasEngine)('fitGP `debug`: resolved and checked in TypeScript', () => {
  const { X, y } = randomData(20, 2, 5);

  it('misspelled or out-of-range switches are refused before the addon is called', async () => {
    await expect(engine.fitGP({ X, y, debug: { profil: true } as never })).rejects.toThrow(/profil/);
    await expect(engine.fitGP({ X, y, debug: { solveBlock: 16 } })).rejects.toThrow(InvalidArgumentError);
    await expect(engine.fitGP({ X, y, debug: { solve: 'magma' as 'cublas' } })).rejects.toThrow(/debug\.solve/);
    await expect(engine.fitGP({ X, y, debug: { batchMaxN: -1 } })).rejects.toThrow(/debug\.batchMaxN/);
  });

  it('the CUDA switches leave a CPU model unchanged (same hyperparameters, bit for bit)', async () => {
    const a = await engine.fitGP({ X, y, backend: 'cpu', seed: 3 });
    const b = await engine.fitGP({ X, y, backend: 'cpu', seed: 3, debug: { solve: 'cublas', solveBlock: 256, batchMaxN: 0, potrfBatchedMaxN: 0, memoryCheck: false } });
    expect(b.hyperparameters).toEqual(a.hyperparameters);
    expect(b.logMarginalLikelihood).toBe(a.logMarginalLikelihood);
    a.dispose();
    b.dispose();
  });
});
