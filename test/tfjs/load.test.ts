/**
 * loadTf resolution order with the real packages: tfjs-node(-gpu) are not installable here (they
 * download libtensorflow), so the default load really falls back to wasm; an injected loader makes
 * the other branches run (a node package that is present but broken, wasm missing) while every
 * backend that does load is the real one.
 */
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, InvalidArgumentError } from '../../src/index.js';
import { loadTf, TF_CANDIDATES, type TfCandidate } from '../../src/tfjs/index.js';

const notFound = (s: string) => Promise.reject(Object.assign(new Error(`Cannot find package '${s}'`), { code: 'ERR_MODULE_NOT_FOUND' }));
const isNodePkg = (s: string) => s.startsWith('@tensorflow/tfjs-node');

describe('loadTf', () => {
  it('resolves gpu → node → wasm → cpu and reports every attempt', async () => {
    const loaded = await loadTf();
    const tried = loaded.attempts.map((a) => a.candidate);
    expect(tried).toEqual(TF_CANDIDATES.slice(0, tried.length));
    expect(loaded.attempts.at(-1)).toEqual({ candidate: loaded.candidate, ok: true });
    for (const a of loaded.attempts.slice(0, -1)) expect(a.reason).toMatch(/\S/);
    expect(loaded.tf.getBackend()).toBe(loaded.backend);
    expect(loaded.description.startsWith(loaded.backend)).toBe(true);
    // On this machine the node bindings are absent: the run must land on wasm and say why.
    if (loaded.candidate === 'wasm') {
      expect(loaded.attempts.slice(0, 2)).toEqual([
        { candidate: 'tfjs-node-gpu', ok: false, reason: 'not installed' },
        { candidate: 'tfjs-node', ok: false, reason: 'not installed' },
      ]);
      expect(loaded.packageName).toBe('@tensorflow/tfjs-backend-wasm');
      expect(loaded.description).toContain('tfjs-node: not installed');
    }
    const product = loaded.tf.tidy(() => loaded.tf.matMul(loaded.tf.tensor2d([[1, 2]]), loaded.tf.tensor2d([[3], [4]])).dataSync()[0]);
    expect(product).toBe(11);
    expect(await loadTf()).toBe(loaded); // one engine per process: the default load is cached
  });

  it('falls back to the real wasm backend when the node packages are missing', async () => {
    const seen: string[] = [];
    const loaded = await loadTf({
      importModule: (s) => {
        seen.push(s);
        return isNodePkg(s) ? notFound(s) : import(s);
      },
    });
    expect(seen.slice(0, 2)).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    expect(loaded.candidate).toBe('wasm');
    expect(loaded.backend).toBe('wasm');
    expect(loaded.attempts.map((a) => [a.candidate, a.ok])).toEqual([
      ['tfjs-node-gpu', false],
      ['tfjs-node', false],
      ['wasm', true],
    ]);
  });

  it('reports why an installed but broken node binding was skipped', async () => {
    const loaded = await loadTf({
      importModule: (s) =>
        s === '@tensorflow/tfjs-node-gpu'
          ? Promise.reject(new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory\n    at Module._extensions'))
          : isNodePkg(s)
            ? notFound(s)
            : import(s),
    });
    expect(loaded.attempts[0]).toEqual({
      candidate: 'tfjs-node-gpu',
      ok: false,
      reason: 'libcudart.so.11.0: cannot open shared object file: No such file or directory',
    });
    expect(loaded.description).toContain('tfjs-node-gpu: libcudart.so.11.0');
  });

  it('tells a package missing one of its own dependencies from a package not installed', async () => {
    const loaded = await loadTf({
      importModule: (s) =>
        s === '@tensorflow/tfjs-node'
          ? Promise.reject(Object.assign(new Error("Cannot find module '@mapbox/node-pre-gyp'"), { code: 'MODULE_NOT_FOUND' }))
          : isNodePkg(s)
            ? notFound(s)
            : import(s),
    });
    expect(loaded.attempts.slice(0, 2).map((a) => a.reason)).toEqual(['not installed', "Cannot find module '@mapbox/node-pre-gyp'"]);
  });

  it('falls back to cpu when the wasm package is missing', async () => {
    const loaded = await loadTf({ importModule: (s) => (s === '@tensorflow/tfjs-backend-wasm' || isNodePkg(s) ? notFound(s) : import(s)) });
    expect(loaded.candidate).toBe('cpu');
    expect(loaded.tf.getBackend()).toBe('cpu');
    expect(loaded.attempts[2]).toEqual({ candidate: 'wasm', ok: false, reason: 'not installed' });
    await loadTf({ candidates: ['wasm'] }); // back to wasm for the other tests of this file
  });

  it('honours an explicit candidate list and TUNABLE_TFJS_BACKEND', async () => {
    expect((await loadTf({ candidates: ['cpu'] })).backend).toBe('cpu');
    const saved = process.env['TUNABLE_TFJS_BACKEND'];
    try {
      process.env['TUNABLE_TFJS_BACKEND'] = 'wasm, cpu';
      const viaEnv = await loadTf({ importModule: (s) => import(s) });
      expect(viaEnv.attempts.map((a) => a.candidate)).toEqual(['wasm']);
      process.env['TUNABLE_TFJS_BACKEND'] = 'gpu';
      await expect(loadTf({ importModule: (s) => import(s) })).rejects.toThrow(/TUNABLE_TFJS_BACKEND="gpu".*"tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"/);
    } finally {
      if (saved === undefined) delete process.env['TUNABLE_TFJS_BACKEND'];
      else process.env['TUNABLE_TFJS_BACKEND'] = saved;
    }
  });

  it('throws BackendUnavailableError listing every attempt when nothing loads', async () => {
    const err = await loadTf({ importModule: notFound }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toBe(
      'No TensorFlow.js backend could be loaded; tried tfjs-node-gpu (not installed), tfjs-node (not installed), wasm (not installed), cpu (not installed). ' +
        '@tensorflow/tfjs is not installed: install it in your project: npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm ' +
        '(or npm install @tensorflow/tfjs-node for libtensorflow), or pass your instance: useTf(tf), loadTf({ tf })',
    );
  });

  it('rejects bad options', async () => {
    await expect(loadTf({ candidates: ['gpu' as TfCandidate] })).rejects.toThrow(InvalidArgumentError);
    await expect(loadTf({ candidates: [] })).rejects.toThrow(/non-empty array/);
    await expect(loadTf({ backend: 'cpu' } as never)).rejects.toThrow(/backend/);
  });
});
