/**
 * A learner whose optional dependency is missing: here TensorFlow.js, made unloadable by replacing
 * loadTf with one that fails the way it does on a machine without any @tensorflow package.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendUnavailableError } from '../../src/errors.js';
import { breastCancerRows } from './fixtures.js';

vi.mock('../../src/tfjs/load.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/tfjs/load.js')>()),
  loadTf: async () => {
    throw new BackendUnavailableError('No TensorFlow.js is installed (tried tfjs-node-gpu, tfjs-node, wasm, cpu)');
  },
}));

afterEach(() => vi.restoreAllMocks());

describe('automl without TensorFlow.js', () => {
  it('leaves the MLP out of the default learners with one warning, and searches the others', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { automl } = await import('../../src/automl/index.js');
    const r = await automl({ data: breastCancerRows(150), target: 'benign', timeBudget: 3 });
    const codes = warn.mock.calls.map((c) => (c[1] as { code?: string } | undefined)?.code ?? c[2]);
    expect(codes).toContain('TUNABLE_AUTOML_LEARNER_UNAVAILABLE');
    expect(r.leaderboard.some((l) => l.learner === 'mlp')).toBe(false);
    expect(r.leaderboard.length).toBeGreaterThan(0);
    await r.study.storage.close();
  }, 30_000);

  it('refuses a learner the caller named that cannot run, saying why', async () => {
    const { automl } = await import('../../src/automl/index.js');
    const err = await automl({ data: breastCancerRows(60), target: 'benign', timeBudget: 2, learners: ['mlp'] }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toBe('The "mlp" learner cannot run here: No TensorFlow.js is installed (tried tfjs-node-gpu, tfjs-node, wasm, cpu)');
  });
});
