/**
 * The CUDA-vs-CPU comparison harness (test/gpu/compare.mjs, used on a GPU machine by
 * test/gpu/check.mjs and `npm run test:gpu`) run here with the CPU standing in for CUDA, so the
 * harness cannot rot on machines without a device: every comparison must pass with zero error.
 */
import { describe, expect, it } from 'vitest';

import { engine } from '../../src/engine/index.js';
import { BackendUnavailableError, NativeError, OutOfMemoryError } from '../../src/errors.js';
// @ts-expect-error: plain ES module without type declarations
import { cpuAsCuda, runComparisons } from '../gpu/compare.mjs';

describe.skipIf(!engine.backends().includes('cpu'))('GPU comparison harness (CPU against CPU)', () => {
  it('every comparison passes', async () => {
    const lines: Array<[string, boolean, string]> = [];
    await runComparisons(cpuAsCuda(engine), { NativeError, BackendUnavailableError, OutOfMemoryError }, (n: string, ok: boolean, d: string) => lines.push([n, ok, d]), {
      seed: 12345,
      cases: [{ name: 'rbf n=70 d=3 categorical', n: 70, d: 3, kernel: 'rbf', cat: 1 }],
    });
    const failed = lines.filter(([n, ok]) => !ok && !n.startsWith('deviceMemoryLimit'));
    expect(failed).toEqual([]);
    expect(lines.length).toBeGreaterThan(40);
  });
});
