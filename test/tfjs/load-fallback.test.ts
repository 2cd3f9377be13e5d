/**
 * The wasm backend failing for real (its binaries are not where they were said to be): loadTf falls
 * back to cpu and reports the cause. A file of its own, because a failed wasm initialisation cannot
 * be undone in a process (vitest runs each file in a fresh one).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadTf } from '../../src/tfjs/index.js';

const empty = mkdtempSync(join(tmpdir(), 'tunable-nowasm-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

it('falls back to cpu and says why when the wasm binaries cannot be read', async () => {
  const loaded = await loadTf({ wasmPath: `${empty}/`, candidates: ['wasm', 'cpu'] });
  expect(loaded.candidate).toBe('cpu');
  expect(loaded.tf.getBackend()).toBe('cpu');
  const wasm = loaded.attempts[0]!;
  expect(wasm.ok).toBe(false);
  expect(wasm.reason).toMatch(/^backend "wasm" did not initialise: .*ENOENT.*tfjs-backend-wasm.*\.wasm/);
  expect(loaded.description).toMatch(/^cpu \(@tensorflow\/tfjs; skipped wasm: backend "wasm" did not initialise/);
  // A real computation on the fallback.
  expect(loaded.tf.tidy(() => loaded.tf.sum(loaded.tf.tensor1d([1, 2, 3])).dataSync()[0])).toBe(6);
});
