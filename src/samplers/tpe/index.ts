/** TPE sampler (see sampler.ts) and its default rules. */
export { TPESampler, type TPESamplerOptions } from './sampler.js';
export { defaultGamma, defaultWeights, type GammaFunction, type WeightsFunction } from './defaults.js';
