/** Helpers of the device scripts (bench.mjs, posterior.mjs): dependency-free, like them. */

/** Deterministic uniform numbers in [0, 1) from a 32-bit seed (the LCG of test/gpu/compare.mjs). */
export function lcg(seed) {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** A row-major (m, d) Float64Array of rnd() draws. */
export function matrix(m, d, rnd) {
  const a = new Float64Array(m * d);
  for (let i = 0; i < a.length; i++) a[i] = rnd();
  return a;
}

/** The best wall time in ms of `repeats` awaited calls of fn. */
export async function bestOf(fn, repeats = 1) {
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/**
 * fitGP's `debug` option from the command line: `--debug '{"solve":"cublas"}'` or `--debug={...}` (JSON;
 * see DebugOptions in src/engine/types.ts). {} when absent. The variants of a benchmark are options of the
 * models it fits, not environment variables the engine reads.
 */
export function debugOption(argv = process.argv.slice(2)) {
  const i = argv.findIndex((a) => a === '--debug' || a.startsWith('--debug='));
  if (i < 0) return {};
  const text = argv[i] === '--debug' ? argv[i + 1] : argv[i].slice('--debug='.length);
  if (text === undefined) throw new Error('--debug needs a JSON object, e.g. --debug \'{"profile":true}\'');
  const o = JSON.parse(text);
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Error(`--debug: expected a JSON object, got ${text}`);
  return o;
}
