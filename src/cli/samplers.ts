/** Sampler names the CLI accepts. */
import { InvalidArgumentError } from '../errors.js';
import type { Sampler } from '../samplers/base.js';
import { CmaEsSampler, defaultSampler, GPSampler, QMCSampler, RandomSampler, TPESampler } from '../samplers/index.js';

const seeded = (seed: number | undefined) => (seed === undefined ? {} : { seed });

const FACTORIES: Record<string, (seed: number | undefined) => Sampler> = {
  gp: (seed) => new GPSampler(seeded(seed)),
  tpe: (seed) => new TPESampler(seeded(seed)),
  cmaes: (seed) => new CmaEsSampler(seeded(seed)),
  random: (seed) => new RandomSampler(seeded(seed)),
  qmc: (seed) => new QMCSampler(seeded(seed)),
};

export const SAMPLER_NAMES = ['default', ...Object.keys(FACTORIES)];

/** A sampler by name; `default` is the study default (GP when the native engine loads, else TPE). */
export function createSampler(name: string, seed: number | undefined): Sampler {
  if (name === 'default') return defaultSampler(['minimize'], seed);
  const f = FACTORIES[name];
  if (f === undefined) throw new InvalidArgumentError(`Expected one of ${SAMPLER_NAMES.map((s) => JSON.stringify(s)).join(', ')} for \`--sampler\` but received ${JSON.stringify(name)}`);
  return f(seed);
}
