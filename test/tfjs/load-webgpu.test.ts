/**
 * The opt-in `webgpu` candidate of loadTf: its logic, on stand-ins for Dawn and the backend package, so
 * that every branch runs whatever the machine's drivers offer — no adapter, an adapter whose device fails,
 * a backend package loaded too early, the globals undone on failure, the feature level passed on. The fake
 * backend package, like the real one, registers "webgpu" only if navigator.gpu exists when it is loaded
 * (its backend is tfjs's cpu backend under that name). Everything else is the real tfjs on cpu. The real
 * packages train a model in webgpu-dawn.test.ts.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnknownOptionError } from '../../src/index.js';
import { loadTf, TF_CANDIDATES, type TfModule } from '../../src/tfjs/index.js';

const notFound = (s: string) => Promise.reject(Object.assign(new Error(`Cannot find package '${s}'`), { code: 'ERR_MODULE_NOT_FOUND' }));
const WEBGPU_PKG = '@tensorflow/tfjs-backend-webgpu';
const NO_ADAPTER = "no WebGPU adapter (navigator.gpu.requestAdapter() returned null; the driver's reason is on stderr)";

type G = Record<string, unknown> & { navigator?: { gpu?: unknown } };
const g = globalThis as unknown as G;
const navigatorBefore = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
const gpuBefore = g.navigator === undefined ? undefined : Object.getOwnPropertyDescriptor(g.navigator, 'gpu');

const INFO = { vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' };

/** A GPU whose requestAdapter() records its options and answers `adapter`. */
function fakeGpu(adapter: { info: Record<string, unknown> } | null) {
  const asked: Record<string, unknown>[] = [];
  return { asked, gpu: { requestAdapter: async (o: Record<string, unknown> = {}) => (asked.push(o), adapter) } };
}

/** A Dawn: `create(flags)` returns `gpu`; its globals are the GPU* constants the backend uses. */
function fakeDawn(gpu: unknown) {
  const created: string[][] = [];
  return { created, module: { create: (flags: string[]) => (created.push(flags), gpu), globals: { GPUBufferUsage: { STORAGE: 128 } } } };
}

/** The backend package: registers "webgpu" on `tf` when navigator.gpu exists at load, as the real one does. */
function fakeBackendPackage(tf: TfModule, factory?: () => Promise<unknown>) {
  const seenAtLoad: { gpu: unknown; bufferUsage: unknown }[] = [];
  const load = async () => {
    const gpu = g.navigator?.gpu as { requestAdapter: (o: Record<string, unknown>) => Promise<unknown> } | undefined;
    seenAtLoad.push({ gpu, bufferUsage: g['GPUBufferUsage'] });
    if (gpu !== undefined) {
      tf.registerBackend(
        'webgpu',
        factory ??
          (async () => {
            await gpu.requestAdapter({ powerPreference: 'high-performance' });
            return new MathBackendCPU();
          }),
      );
    }
    return {};
  };
  return { seenAtLoad, load };
}

function loader(parts: { dawn?: unknown; backend?: () => Promise<unknown>; seen?: string[] }) {
  return (s: string): Promise<unknown> => {
    parts.seen?.push(s);
    if (s === 'webgpu') return parts.dawn === undefined ? notFound(s) : Promise.resolve(parts.dawn);
    if (s === WEBGPU_PKG) return parts.backend === undefined ? notFound(s) : parts.backend();
    return import(s);
  };
}

const tfjs = async (): Promise<TfModule> => (await import('@tensorflow/tfjs')) as unknown as TfModule;

function expectGlobalsUntouched(): void {
  expect(Object.getOwnPropertyDescriptor(globalThis, 'navigator')).toEqual(navigatorBefore);
  if (g.navigator !== undefined) expect(Object.getOwnPropertyDescriptor(g.navigator, 'gpu')).toEqual(gpuBefore);
  expect('GPUBufferUsage' in g).toBe(false);
}

afterEach(async () => {
  const tf = await tfjs();
  await tf.setBackend('cpu');
  if (tf.engine().registryFactory['webgpu'] !== undefined) tf.removeBackend('webgpu');
  // What a successful load leaves behind (navigator.gpu, GPU* constants) is removed for the next test.
  if (navigatorBefore === undefined) delete g['navigator'];
  else if (gpuBefore === undefined) delete g.navigator!.gpu;
  else Object.defineProperty(g.navigator, 'gpu', gpuBefore);
  delete g['GPUBufferUsage'];
});

describe('loadTf: the webgpu candidate', () => {
  it('is opt-in, and reports a missing package like any other candidate', async () => {
    expect(TF_CANDIDATES).not.toContain('webgpu');
    const seen: string[] = [];
    const loaded = await loadTf({ candidates: ['webgpu', 'cpu'], importModule: loader({ seen }) });
    expect(loaded.attempts).toEqual([
      { candidate: 'webgpu', ok: false, reason: 'not installed' },
      { candidate: 'cpu', ok: true },
    ]);
    expect(loaded.description).toBe('cpu (@tensorflow/tfjs; skipped webgpu: not installed)');
    expect(seen).toEqual(['@tensorflow/tfjs', 'webgpu', '@tensorflow/tfjs']); // no backend package without a GPU
    expectGlobalsUntouched();
  });

  it('creates Dawn with the flags, checks for an adapter, then loads the backend package', async () => {
    const tf = await tfjs();
    const { asked, gpu } = fakeGpu({ info: INFO });
    const dawn = fakeDawn(gpu);
    const pkg = fakeBackendPackage(tf);
    const loaded = await loadTf({
      candidates: ['webgpu', 'cpu'],
      importModule: loader({ dawn: dawn.module, backend: pkg.load }),
      webgpu: { flags: ['backend=vulkan'], featureLevel: 'compatibility' },
    });
    expect(loaded.candidate).toBe('webgpu');
    expect(loaded.backend).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(loaded.packageName).toBe(WEBGPU_PKG);
    expect(loaded.description).toBe('webgpu (@tensorflow/tfjs-backend-webgpu on llvmpipe: Mesa 25.0.7 (LLVM 15.0.6), a CPU emulation)');
    expect(dawn.created).toEqual([['backend=vulkan']]);
    // navigator.gpu and the GPU* constants were in place when the backend package loaded ...
    expect(pkg.seenAtLoad).toHaveLength(1);
    expect(pkg.seenAtLoad[0]!.bufferUsage).toEqual({ STORAGE: 128 });
    expect(pkg.seenAtLoad[0]!.gpu).toBe(g.navigator!.gpu);
    // ... and every adapter request, loadTf's check and the backend's own, asked for the feature level.
    expect(asked).toEqual([
      { powerPreference: 'high-performance', featureLevel: 'compatibility' },
      { powerPreference: 'high-performance', featureLevel: 'compatibility' },
    ]);
    // Loading it again switches to the registered backend without a second Dawn.
    await loadTf({ candidates: ['cpu'] });
    const again = await loadTf({ candidates: ['webgpu'], importModule: loader({ dawn: dawn.module, backend: pkg.load }) });
    expect(again.backend).toBe('webgpu');
    expect(dawn.created).toHaveLength(1);
    expect(pkg.seenAtLoad).toHaveLength(1);
  });

  it('uses a GPU that is given, without importing Dawn', async () => {
    const tf = await tfjs();
    const { asked, gpu } = fakeGpu({ info: { device: 'NVIDIA H100' } });
    const pkg = fakeBackendPackage(tf);
    const seen: string[] = [];
    const loaded = await loadTf({ candidates: ['webgpu'], importModule: loader({ backend: pkg.load, seen }), webgpu: { gpu } });
    expect(loaded.description).toBe('webgpu (@tensorflow/tfjs-backend-webgpu on NVIDIA H100)');
    expect(seen).not.toContain('webgpu');
    expect(pkg.seenAtLoad[0]!.gpu).toBe(gpu);
    expect(asked).toEqual([{ powerPreference: 'high-performance' }, { powerPreference: 'high-performance' }]);
  });

  it('says when there is no adapter, leaves no globals behind and falls back', async () => {
    const { gpu } = fakeGpu(null);
    const seen: string[] = [];
    const loaded = await loadTf({ candidates: ['webgpu', 'cpu'], importModule: loader({ dawn: fakeDawn(gpu).module, backend: () => Promise.resolve({}), seen }) });
    expect(loaded.candidate).toBe('cpu');
    expect(loaded.attempts[0]).toEqual({ candidate: 'webgpu', ok: false, reason: NO_ADAPTER });
    expect(seen).not.toContain(WEBGPU_PKG);
    expectGlobalsUntouched();
    expect(loaded.tf.tidy(() => loaded.tf.sum(loaded.tf.tensor1d([1, 2, 3])).dataSync()[0])).toBe(6);
  });

  it('names a backend package that was loaded before navigator.gpu existed', async () => {
    const { gpu } = fakeGpu({ info: INFO });
    const loaded = await loadTf({
      candidates: ['webgpu', 'cpu'],
      importModule: loader({ dawn: fakeDawn(gpu).module, backend: () => Promise.resolve({}) }), // registers nothing: loaded earlier
    });
    expect(loaded.attempts[0]).toEqual({
      candidate: 'webgpu',
      ok: false,
      reason: '@tensorflow/tfjs-backend-webgpu registered no "webgpu" backend: it was loaded before navigator.gpu existed (let loadTf load it, or set navigator.gpu first)',
    });
    expectGlobalsUntouched();
  });

  it('reports the error the backend raised while initialising', async () => {
    const tf = await tfjs();
    const { gpu } = fakeGpu({ info: INFO });
    const pkg = fakeBackendPackage(tf, () => Promise.reject(new Error('requestDevice: maxStorageBufferBindingSize exceeds the adapter limit')));
    const loaded = await loadTf({ candidates: ['webgpu', 'cpu'], importModule: loader({ dawn: fakeDawn(gpu).module, backend: pkg.load }) });
    expect(loaded.candidate).toBe('cpu');
    expect(loaded.attempts[0]).toEqual({
      candidate: 'webgpu',
      ok: false,
      reason: 'backend "webgpu" did not initialise: Error: requestDevice: maxStorageBufferBindingSize exceeds the adapter limit',
    });
  });

  it('is accepted in TUNABLE_TFJS_BACKEND', async () => {
    const saved = process.env['TUNABLE_TFJS_BACKEND'];
    try {
      process.env['TUNABLE_TFJS_BACKEND'] = 'webgpu,cpu';
      const loaded = await loadTf({ importModule: loader({}) });
      expect(loaded.attempts.map((a) => [a.candidate, a.ok])).toEqual([
        ['webgpu', false],
        ['cpu', true],
      ]);
    } finally {
      if (saved === undefined) delete process.env['TUNABLE_TFJS_BACKEND'];
      else process.env['TUNABLE_TFJS_BACKEND'] = saved;
    }
  });

  it('rejects bad webgpu options', async () => {
    const bad = (webgpu: unknown) => loadTf({ candidates: ['cpu'], webgpu: webgpu as never });
    await expect(bad({ flag: [] })).rejects.toThrow(
      new UnknownOptionError('Unknown option `flag` in `webgpu` (did you mean `flags`?); allowed options are `gpu`, `flags`, `featureLevel`'),
    );
    await expect(bad({ flags: 'backend=vulkan' })).rejects.toThrow(new InvalidArgumentError('Expected an array of strings for `webgpu.flags` but received "backend=vulkan"'));
    await expect(bad({ flags: ['backend=vulkan', 1] })).rejects.toThrow('Expected an array of strings for `webgpu.flags` but received an array of length 2');
    await expect(bad({ featureLevel: 'compat' })).rejects.toThrow('Expected "core" or "compatibility" for `webgpu.featureLevel` but received "compat"');
    await expect(bad({ gpu: {} })).rejects.toThrow('Expected a WebGPU GPU object (with requestAdapter()) for `webgpu.gpu` but received an object (Object)');
    await expect(bad('vulkan')).rejects.toThrow('Expected an options object for `webgpu` but received "vulkan"');
    await expect(loadTf({ candidates: ['webgpu', 'gpu' as never] })).rejects.toThrow(
      'Expected one of "tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu" for `candidates[1]` but received "gpu"',
    );
  });
});
