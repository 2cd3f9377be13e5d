/**
 * The webgpu candidate on the real packages: Dawn (`webgpu`) and `@tensorflow/tfjs-backend-webgpu`, on the
 * adapter every Debian machine has, Mesa's llvmpipe through Dawn's OpenGL ES backend (docs/webgpu.md,
 * route 3). Each backend trains the same seeded model in a process of its own (one tfjs engine and one
 * navigator.gpu per process), and the two runs must agree: the product against float64, the losses
 * epoch by epoch against wasm's.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';

const WORKER = join(import.meta.dirname, 'fixtures', 'webgpu-train-worker.ts');

interface Run {
  description: string;
  backend: string;
  matMulError: number;
  losses: number[];
}

async function train(which: 'webgpu' | 'wasm'): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, EGL_PLATFORM: 'surfaceless', XDG_RUNTIME_DIR: tempDir() };
  delete env['TUNABLE_TFJS_BACKEND'];
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', WORKER, which], { env, timeout: 180_000 });
  const line = stdout.trim().split('\n').at(-1)!;
  return JSON.parse(line) as Run;
}

describe('loadTf: the webgpu candidate on Dawn and llvmpipe', () => {
  it('trains a model with the losses of the wasm backend', { timeout: 240_000 }, async () => {
    const [gpu, wasm] = [await train('webgpu'), await train('wasm')];
    expect(gpu.backend).toBe('webgpu');
    expect(gpu.description).toMatch(/^webgpu \(@tensorflow\/tfjs-backend-webgpu on .*Mesa.*, a CPU emulation\)$/);
    expect(wasm.backend).toBe('wasm');
    expect(gpu.matMulError).toBeLessThan(1e-5);
    expect(gpu.losses).toHaveLength(5);
    for (let e = 0; e < 5; e++) expect(Math.abs(gpu.losses[e]! - wasm.losses[e]!)).toBeLessThan(1e-5);
    expect(gpu.losses[4]!).toBeLessThan(gpu.losses[0]! - 0.05);
  });
});
