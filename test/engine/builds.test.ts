/** Both builds (cmake-js and node-gyp) load and give the same answers; the event loop stays free. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { addonCandidates, loadAddonFrom, type BuildSystem, type NativeAddon } from '../../src/native/binding.js';
import { engine, ENGINE_DEFAULTS } from '../../src/engine/index.js';
import { maxAbsDiff, randomData } from './helpers.js';

const builds: BuildSystem[] = ['cmake-js', 'node-gyp'];
const loaded = builds.map((b) => [b, loadAddonFrom(b)] as [BuildSystem, NativeAddon | null]);

async function run(addon: NativeAddon) {
  const { X, y } = randomData(60, 4, 17);
  const gp = new addon.GP({
    X: Float64Array.from(X.flat()), y: Float64Array.from(y), n: 60, d: 4, kernel: 'matern52',
    categorical: [null, null, null, null], threads: 1, backend: 'cpu', deviceMemoryLimit: 0, debug: ENGINE_DEFAULTS.debug,
  });
  const none = new Float64Array(0);
  const fit = await gp.fit({ restarts: 2, seed: 5, warm: none, fixedMask: none, fixedAll: false, maxIterations: 0, keep: 0, noiseFloor: 1e-6 });
  const pred = await gp.predict(Float64Array.from(randomData(20, 4, 3).X.flat()), { gradient: false, covariance: false, float32: false });
  const acq = await gp.maximize({
    acquisition: 'logei', best: NaN, beta: 2, pending: none, fantasy: 'mean', rawSamples: 256, restarts: 5, seed: 1, integer: [null, null, null, null],
    maxIterations: 200, float32: false,
  });
  gp.dispose();
  return { fit, pred, acq };
}

/** CI (.ci/run) builds both, so there each must load; elsewhere a build that exists must load, a missing one is skipped. */
const required = (name: BuildSystem, addon: NativeAddon | null): boolean =>
  addon !== null || Boolean(process.env['CI']) || existsSync(addonCandidates().find((c) => c.buildSystem === name)!.path);

describe('native builds', () => {
  for (const [name, addon] of loaded) {
    it.skipIf(!required(name, addon))(`${name} build loads (skipped outside CI when not built)`, () => {
      const file = addonCandidates().find((c) => c.buildSystem === name)!.path;
      const hint = name === 'cmake-js' ? 'npm run build:native' : 'npm run build:gyp';
      expect(addon, `${name} build ${existsSync(file) ? 'does not load' : 'is missing'}: ${file} (build it with ${hint})`).not.toBeNull();
      expect(addon!.buildSystem).toBe(name);
      expect(addon!.backends()).toContain('cpu');
    });
  }

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

  it.skipIf(engine.backends().length === 0)('the event loop keeps turning and timers fire while a 400-point fit runs', async () => {
    const { X, y } = randomData(400, 6, 1);
    // A fit on the main thread would settle without letting a single immediate or timer run in between;
    // on the threadpool the loop turns many times before the fit settles (how many depends on the machine).
    let fitting = true;
    let turns = 0;
    let timers = 0;
    const turn = (): void => {
      if (!fitting) return;
      turns++;
      setImmediate(turn);
    };
    setImmediate(turn);
    const timer = setInterval(() => timers++, 1);
    const gp = await engine.fitGP({ X, y, restarts: 1, maxIterations: 3 });
    fitting = false;
    clearInterval(timer);
    gp.dispose();
    expect(turns).toBeGreaterThan(10);
    expect(timers).toBeGreaterThan(0);
  });
});
