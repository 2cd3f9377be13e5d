/**
 * The native engine's Sobol' generator (native/core/sobol.cpp, which seeds the acquisition maximiser's raw
 * samples) against SciPy's unscrambled points (test/fixtures/sobol.json, the fixture the TypeScript Sobol'
 * is held to), and the stratification of its scrambled points. The generator is not exported by the addon,
 * so a small harness (test/engine/native/sobol_main.cpp) is compiled with g++ around the engine's own source.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Fixture {
  cases: { d: number; start: number; points: number[][] }[];
}
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const fixture = JSON.parse(readFileSync(path.join(root, 'test/fixtures/sobol.json'), 'utf8')) as Fixture;
const hasGxx = spawnSync('g++', ['--version']).status === 0;

let dir = '';
let exe = '';
beforeAll(() => {
  if (!hasGxx) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'tunable-sobol-'));
  exe = path.join(dir, 'sobol_main');
  execFileSync('g++', ['-std=c++17', '-O2', '-o', exe, path.join(here, 'native/sobol_main.cpp'), path.join(root, 'native/core/sobol.cpp')], { stdio: 'pipe' });
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** m points (m, d) from the engine. */
function points(m: number, d: number, seed: number, scramble: boolean): number[][] {
  const out = execFileSync(exe, [String(m), String(d), String(seed), scramble ? '1' : '0'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return out.trim().split('\n').map((line) => line.split(' ').map(Number));
}

/** Every aligned block of 2^k points has one point in each [i/2^k, (i+1)/2^k) of every coordinate. */
function unbalanced(pts: number[][], k: number): string[] {
  const size = 2 ** k;
  const bad: string[] = [];
  for (let start = 0; start + size <= pts.length; start += size) {
    for (let j = 0; j < (pts[0] as number[]).length; j++) {
      const cells = new Uint32Array(size);
      for (let i = start; i < start + size; i++) cells[Math.floor((pts[i] as number[])[j] as number * size)]!++;
      if (!cells.every((c) => c === 1)) bad.push(`block ${start}/${size}, dim ${j}`);
    }
  }
  return bad;
}

describe.skipIf(!hasGxx)("native Sobol' (native/core/sobol.cpp)", () => {
  for (const c of fixture.cases) {
    it(`unscrambled, d=${c.d}, points ${c.start}..${c.start + c.points.length - 1}, equal SciPy's (+ the half cell 2^-33)`, () => {
      const pts = points(c.start + c.points.length, c.d, 0, false).slice(c.start);
      expect(pts).toHaveLength(c.points.length);
      const off: string[] = [];
      pts.forEach((p, i) => p.forEach((x, j) => {
        if (x !== (c.points[i] as number[])[j]! + 2 ** -33) off.push(`point ${c.start + i} dim ${j}: ${x} vs SciPy ${(c.points[i] as number[])[j]}`);
      }));
      expect(off.slice(0, 5)).toEqual([]);
    });
  }

  it('scrambled points stay in [0, 1) and keep the (0, m, d)-net stratification in every dimension', () => {
    const pts = points(256, 12, 7, true);
    expect(pts.every((p) => p.every((x) => x >= 0 && x < 1))).toBe(true);
    for (const k of [1, 4, 8]) expect(unbalanced(pts, k)).toEqual([]);
  });

  it('a seed reproduces its points; another seed gives other points', () => {
    const a = points(64, 5, 11, true);
    expect(points(64, 5, 11, true)).toEqual(a);
    const b = points(64, 5, 12, true);
    expect(b).not.toEqual(a);
    expect(unbalanced(b, 6)).toEqual([]);
    // Scrambling moves the origin (the unscrambled first point).
    expect(a[0]!.some((x) => x !== 0)).toBe(true);
  });

  it('the largest dimension is supported and one past it is refused', () => {
    const max = Number(/kSobolMaxDims = (\d+)/.exec(readFileSync(path.join(root, 'native/core/sobol_directions.hpp'), 'utf8'))![1]);
    expect(points(4, max, 3, true)[3]).toHaveLength(max);
    const r = spawnSync(exe, ['4', String(max + 1), '3', '1'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
  });
});
