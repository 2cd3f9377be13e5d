/** The CMA-ES sampler (see sampler.ts); the rest of this folder is internal. */
export { CmaEsSampler } from './sampler.js';
export type { CmaEsSamplerOptions } from './options.js';
