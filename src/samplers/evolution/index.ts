/** The regularized (aging) evolution sampler (see sampler.ts); mutate.ts is internal. */
export { RegularizedEvolutionSampler, type RegularizedEvolutionSamplerOptions } from './sampler.js';
