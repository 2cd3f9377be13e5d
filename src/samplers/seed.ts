/**
 * Seed helpers shared by the samplers (internal; not exported from the package).
 *
 * Independent draws are made from a generator derived from (sampler seed, trial number, parameter
 * name), not from one stream shared by every trial: the value a seeded sampler gives a parameter then
 * depends only on the trial's number, so a study is reproducible even with concurrent workers or
 * several processes (trial numbers are assigned by the storage), and asking a parameter again in the
 * same trial gives the same value.
 */
import { Rng } from '../util/rng.js';
import { integer } from '../validate.js';

/** A validated seed (an integer >= 0), or a random one when `seed` is undefined. */
export function resolveSeed(seed: unknown): number {
  if (seed === undefined) return new Rng().nextU32();
  return integer('seed', seed, 0);
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of `s`. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A 32-bit seed mixing a sampler seed with a tag, a trial number and a name. */
export function deriveSeed(seed: number, tag: number, trialNumber: number, name: string): number {
  let h = fmix32((seed >>> 0) ^ 0x5bd1e995);
  h = fmix32(h ^ (Math.floor(seed / 2 ** 32) >>> 0));
  h = fmix32(h ^ Math.imul(tag + 1, 0x9e3779b1));
  h = fmix32(h ^ (trialNumber >>> 0));
  h = fmix32(h ^ (Math.floor(trialNumber / 2 ** 32) >>> 0));
  return fmix32(h ^ hashString(name));
}

/** The generator of the independent draw of parameter `name` in trial `trialNumber`. */
export function paramRng(seed: number, tag: number, trialNumber: number, name: string): Rng {
  return new Rng(deriveSeed(seed, tag, trialNumber, name));
}
