/** Histogram gradient boosting on the native addon (native/gbdt): fitGBDT, the model and its JSON form. */
export { fitGBDT } from './fit.js';
export { GBDT_FORMAT, GBDT_FORMAT_VERSION, GBDTModel, type GBDTModelJSON } from './model.js';
export { GBDT_DEFAULTS } from './options.js';
export type { FitGBDTOptions, GBDTTask, MatrixInput, PredictGBDTOptions } from './types.js';
