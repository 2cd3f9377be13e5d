/** Sampler names the CLI accepts. */
import { InvalidArgumentError } from '../errors.js';
import type { Sampler } from '../samplers/base.js';
import { QMCSampler } from '../samplers/qmc.js';
import { RandomSampler } from '../samplers/random.js';

const FACTORIES: Record<string, (seed: number | undefined) => Sampler> = {
  default: (seed) => new QMCSampler(seed === undefined ? {} : { seed }),
  random: (seed) => new RandomSampler(seed === undefined ? {} : { seed }),
  qmc: (seed) => new QMCSampler(seed === undefined ? {} : { seed }),
};

export const SAMPLER_NAMES = Object.keys(FACTORIES);

export function createSampler(name: string, seed: number | undefined): Sampler {
  const f = FACTORIES[name];
  if (f === undefined) throw new InvalidArgumentError(`Expected one of ${SAMPLER_NAMES.map((s) => JSON.stringify(s)).join(', ')} for \`--sampler\` but received ${JSON.stringify(name)}`);
  return f(seed);
}
