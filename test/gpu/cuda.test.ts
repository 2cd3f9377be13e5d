/**
 * CUDA backend against the CPU backend on fresh random inputs (`npm run test:gpu`, vitest.gpu.config.ts).
 * The comparisons are those of the dependency-free test/gpu/check.mjs (test/gpu/compare.mjs), here
 * on src/engine. Without a usable CUDA backend every test is skipped with the reason. The engine's
 * own tests (test/engine) also run on CUDA under this config: they iterate over engine.backends().
 */
import { describe, expect, it } from 'vitest';

import { engine } from '../../src/engine/index.js';
import { BackendUnavailableError, NativeError, OutOfMemoryError } from '../../src/errors.js';
// @ts-expect-error: plain ES module without type declarations
import { CASES, runComparisons } from './compare.mjs';

const status = engine.cudaStatus({ probeLibraries: true });
if (!status.available) console.warn(`test/gpu skipped: the CUDA backend is not usable here (${status.reason})`);

interface Case { name: string }

describe.skipIf(!status.available)(`CUDA vs CPU (${status.device || 'no device'})`, () => {
  it.each((CASES as Case[]).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const failures: string[] = [];
    const r = await runComparisons(engine, { NativeError, BackendUnavailableError, OutOfMemoryError }, (name: string, ok: boolean, detail: string) => {
      if (!ok) failures.push(`${name}: ${detail}`);
    }, { cases: [c] });
    expect(failures).toEqual([]);
    expect(r.passed).toBeGreaterThan(0);
  }, 300_000);

  it('lists cuda first and auto picks it', async () => {
    expect(engine.backends()[0]).toBe('cuda');
    const gp = await engine.fitGP({ X: [[0.1], [0.5], [0.9]], y: [1, 0, 1], restarts: 0 });
    expect(gp.backend).toBe('cuda');
    gp.dispose();
  });
});
