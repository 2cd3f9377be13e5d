import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnknownOptionError } from '../../src/errors.js';
import { Sobol, SOBOL_MAX_DIMS } from '../../src/qmc/sobol.js';

interface Fixture {
  cases: { d: number; start: number; points: number[][] }[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/sobol.json', import.meta.url), 'utf8')) as Fixture;

/** Every aligned block of 2^m points puts exactly one point in each [k/2^m, (k+1)/2^m) of each coordinate. */
function expectBalanced(points: Float64Array[], m: number, d: number): void {
  const size = 2 ** m;
  const bad: string[] = [];
  for (let start = 0; start + size <= points.length; start += size) {
    for (let j = 0; j < d; j++) {
      const cells = new Uint32Array(size);
      for (let i = start; i < start + size; i++) cells[Math.floor(points[i]![j]! * size)]!++;
      if (!cells.every((c) => c === 1)) bad.push(`block ${start}/${size}, dim ${j}`);
    }
  }
  expect(bad).toEqual([]);
}

function expectInUnitInterval(points: Float64Array[]): void {
  expect(points.every((p) => p.every((x) => x >= 0 && x < 1))).toBe(true);
}

describe('Sobol (unscrambled) matches SciPy', () => {
  for (const c of fixture.cases) {
    it(`d=${c.d}, points ${c.start}..${c.start + c.points.length - 1}`, () => {
      const s = new Sobol(c.d, { scramble: false });
      if (c.start > 0) s.fastForward(c.start);
      const pts = s.draw(c.points.length);
      expect(pts.map((p) => Array.from(p))).toEqual(c.points);
      // Random access agrees with the Gray-code walk.
      c.points.forEach((p, i) => expect(Array.from(s.at(c.start + i))).toEqual(p));
    });
  }

  it('fixture covers d in {1, 2, 6, 40} with 64 points each', () => {
    const ds = fixture.cases.filter((c) => c.start === 0 && c.points.length === 64).map((c) => c.d);
    expect(ds).toEqual([1, 2, 6, 40]);
  });

  it('first point is the origin and next/at/fastForward/reset agree', () => {
    const s = new Sobol(3, { scramble: false });
    expect(Array.from(s.next())).toEqual([0, 0, 0]);
    expect(Array.from(s.next())).toEqual([0.5, 0.5, 0.5]);
    expect(s.index).toBe(2);
    s.fastForward(100);
    expect(Array.from(s.next())).toEqual(Array.from(s.at(102)));
    s.reset();
    expect(s.index).toBe(0);
    expect(Array.from(s.next())).toEqual([0, 0, 0]);
  });

  it('supports the maximal dimension and high indices', () => {
    const s = new Sobol(SOBOL_MAX_DIMS, { scramble: false });
    const p = s.at(2 ** 32 - 1);
    expect(p.length).toBe(SOBOL_MAX_DIMS);
    expectInUnitInterval([p]);
    const q = new Sobol(2, { scramble: false }).fastForward(2 ** 31 - 3);
    const walked = q.draw(6).map((x) => Array.from(x));
    const direct = [0, 1, 2, 3, 4, 5].map((k) => Array.from(q.at(2 ** 31 - 3 + k)));
    expect(walked).toEqual(direct);
  });

  it('unscrambled sequence is balanced', () => {
    const pts = new Sobol(40, { scramble: false }).draw(1024);
    for (let m = 0; m <= 10; m++) expectBalanced(pts, m, 40);
  });
});

describe('Sobol (scrambled)', () => {
  it('is reproducible by seed and differs between seeds', () => {
    const a = new Sobol(5, { seed: 42 }).draw(32);
    const b = new Sobol(5, { seed: 42 }).draw(32);
    const c = new Sobol(5, { seed: 43 }).draw(32);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // Every coordinate differs between seeds, not just some.
    for (let j = 0; j < 5; j++) expect(a[0]![j]).not.toBe(c[0]![j]);
    expect(new Sobol(5, { seed: 42 }).scrambled).toBe(true);
    expect(new Sobol(5, { seed: 42 }).seed).toBe(42);
  });

  it('is scrambled by default, with a random seed when none is given', () => {
    const a = new Sobol(4);
    const b = new Sobol(4);
    expect(a.scrambled).toBe(true);
    expect(Array.from(a.next())).not.toEqual(Array.from(b.next()));
  });

  it('stays in [0, 1) and keeps the net balance property', () => {
    for (const seed of [0, 1, 12345, 2 ** 40 + 7]) {
      const pts = new Sobol(40, { seed }).draw(1024);
      expectInUnitInterval(pts);
      for (let m = 0; m <= 10; m++) expectBalanced(pts, m, 40);
    }
  });

  it('is balanced from a fast-forwarded aligned start too, and at() agrees with next()', () => {
    const s = new Sobol(7, { seed: 9 }).fastForward(4096);
    const pts = s.draw(256);
    for (let m = 0; m <= 8; m++) expectBalanced(pts, m, 7);
    pts.forEach((p, i) => expect(Array.from(s.at(4096 + i))).toEqual(Array.from(p)));
  });

  it('is not the unscrambled sequence', () => {
    const s = new Sobol(2, { seed: 3 }).draw(4).map((p) => Array.from(p));
    const u = new Sobol(2, { scramble: false }).draw(4).map((p) => Array.from(p));
    expect(s).not.toEqual(u);
  });

  it('engines of different dimension with one seed share their leading coordinates', () => {
    const a = new Sobol(3, { seed: 5 }).draw(16);
    const b = new Sobol(8, { seed: 5 }).draw(16);
    a.forEach((p, i) => expect(Array.from(b[i]!.subarray(0, 3))).toEqual(Array.from(p)));
  });
});

describe('Sobol arguments', () => {
  it('rejects bad dimensions, options, counts and indices', () => {
    expect(() => new Sobol(0)).toThrow(new InvalidArgumentError('Expected an integer in [1, 1024] for `d` but received 0'));
    expect(() => new Sobol(1025)).toThrow('Expected an integer in [1, 1024] for `d` but received 1025');
    expect(() => new Sobol(2.5)).toThrow('Expected an integer for `d` but received 2.5');
    expect(() => new Sobol(2, { scramble: 1 as unknown as boolean })).toThrow('Expected a boolean for `scramble` but received 1');
    expect(() => new Sobol(2, { seed: -1 })).toThrow('Expected an integer >= 0 for `seed` but received -1');
    expect(() => new Sobol(2, { sed: 1 } as never)).toThrow(UnknownOptionError);
    expect(() => new Sobol(2, { sed: 1 } as never)).toThrow('Unknown option `sed` in `options` (did you mean `seed`?); allowed options are `scramble`, `seed`');
    const s = new Sobol(2, { scramble: false });
    expect(() => s.draw(-1)).toThrow('Expected an integer in [0, 4294967296] for `n` but received -1');
    expect(() => s.at(2 ** 32)).toThrow('Expected an integer in [0, 4294967295] for `index` but received 4294967296');
  });
});
