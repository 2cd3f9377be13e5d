/** Samplers: the contract and the built-in samplers. */
export type { Sampler, StudyView } from './base.js';
export { RandomSampler, type RandomSamplerOptions } from './random.js';
export { GridSampler, type GridSamplerOptions, type GridSearchSpace, type GridValue } from './grid.js';
export { QMCSampler, type QMCSamplerOptions, type QMCType } from './qmc.js';
export { TPESampler, type TPESamplerOptions, type GammaFunction, type WeightsFunction } from './tpe/index.js';
export { CmaEsSampler, type CmaEsSamplerOptions } from './cmaes/index.js';
export { RegularizedEvolutionSampler, type RegularizedEvolutionSamplerOptions } from './evolution/index.js';
export { GPSampler, type GPSamplerOptions, type GPAcquisition, type GPOutputWarping, type MultiFidelityOptions } from './gp/index.js';
export { BOHBSampler, type BOHBSamplerOptions } from './bohb.js';
export { BracketFilteredSampler } from './bracket-filtered.js';
export { defaultSampler } from './default.js';
