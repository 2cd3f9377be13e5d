/** GPSampler: Bayesian optimisation on the native Gaussian-process engine. */
export { GPSampler } from './sampler.js';
export type { GPSamplerOptions, GPAcquisition, GPOutputWarping } from './options.js';
export type { MultiFidelityOptions } from './fidelity.js';
