/** Both builds (cmake-js and node-gyp) load and give the same answers; the event loop stays free. */
import { describe, expect, it } from 'vitest';

import { loadAddonFrom, type BuildSystem, type NativeAddon } from '../../src/native/binding.js';
import { engine } from '../../src/engine/index.js';
import { maxAbsDiff, randomData } from './helpers.js';

const builds: BuildSystem[] = ['cmake-js', 'node-gyp'];
const loaded = builds.map((b) => [b, loadAddonFrom(b)] as [BuildSystem, NativeAddon | null]);

async function run(addon: NativeAddon) {
  const { X, y } = randomData(60, 4, 17);
  const gp = new addon.GP({
    X: Float64Array.from(X.flat()), y: Float64Array.from(y), n: 60, d: 4, kernel: 0,
    categorical: [null, null, null, null], threads: 1, backend: 'cpu',
  });
  const fit = await gp.fit({ restarts: 2, seed: 5, fixedAll: false, maxIterations: 0, keep: 0, noiseFloor: 1e-6 });
  const pred = await gp.predict(Float64Array.from(randomData(20, 4, 3).X.flat()), { gradient: false, covariance: false });
  const acq = await gp.maximize({
    type: 0, best: NaN, beta: 2, rawSamples: 256, restarts: 5, seed: 1, integer: [null, null, null, null], maxIterations: 200,
  });
  gp.dispose();
  return { fit, pred, acq };
}

describe('native builds', () => {
  it.each(loaded)('%s build loads (skipped when not built)', (name, addon) => {
    if (!addon) {
      console.warn(`${name} build not found; build it with ${name === 'cmake-js' ? 'npm run build:native' : 'npm run build:gyp'}`);
      return;
    }
    expect(addon.buildSystem).toBe(name);
    expect(addon.backends()).toContain('cpu');
  });

  const both = loaded.every(([, a]) => a !== null);
  it.skipIf(!both)('cmake-js and node-gyp builds agree', async () => {
    const a = await run(loaded[0]![1]!);
    const b = await run(loaded[1]![1]!);
    expect(maxAbsDiff(a.fit.theta, b.fit.theta)).toBeLessThan(1e-6);
    expect(Math.abs(a.fit.lml - b.fit.lml)).toBeLessThan(1e-8 * Math.max(1, Math.abs(a.fit.lml)));
    expect(maxAbsDiff(a.pred.mean, b.pred.mean)).toBeLessThan(1e-7);
    expect(maxAbsDiff(a.pred.variance, b.pred.variance)).toBeLessThan(1e-7);
    expect(Math.abs(a.acq.value - b.acq.value)).toBeLessThan(1e-6 * Math.max(1, Math.abs(a.acq.value)));
  });

  it.skipIf(engine.backends().length === 0)('a timer keeps firing during a 2000-point fit', async () => {
    const { X, y } = randomData(2000, 6, 1);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    const gp = await engine.fitGP({ X, y, restarts: 1, maxIterations: 3 });
    const ms = performance.now() - t0;
    clearInterval(timer);
    expect(ms).toBeGreaterThan(50);
    // The event loop was free: roughly one tick per 5 ms (loosely, for loaded CI machines).
    expect(ticks).toBeGreaterThan(ms / 5 / 4);
    gp.dispose();
  });
});
