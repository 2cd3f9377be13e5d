/** Shared helpers of the engine tests. */
import { engine } from '../../src/engine/index.js';

/** Backends usable here, for describe.each; a placeholder row that skips when none is built. */
export function backendRows(): Array<[string]> {
  const b = engine.backends();
  return b.length > 0 ? b.map((x) => [x] as [string]) : [['none']];
}

/** Deterministic uniform numbers in [0, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export function randomData(n: number, d: number, seed: number, f?: (x: number[]) => number): { X: number[][]; y: number[] } {
  const r = lcg(seed);
  const X: number[][] = [];
  const y: number[] = [];
  const fn = f ?? ((x: number[]) => Math.sin(3 * x[0]!) + x.reduce((a, v, j) => a + (j % 2 ? v * v : Math.cos(2 * v)), 0));
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: d }, () => r());
    X.push(x);
    y.push(fn(x));
  }
  return { X, y };
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
