/** fitGBDT: options resolved in TypeScript, the boosting run by the addon off the event loop. */
import { callNative, loadAddon } from '../native/binding.js';
import { GBDTModel } from './model.js';
import { resolveFitGBDT } from './options.js';
import type { FitGBDTOptions } from './types.js';

/**
 * Fits a histogram gradient-boosting model (scikit-learn's HistGradientBoostingRegressor/Classifier
 * method and defaults): regression (squared error), binary (log-loss) or multiclass (softmax, k trees
 * per iteration). Missing values (NaN) are binned apart and each split learns their side.
 */
export async function fitGBDT(opts: FitGBDTOptions): Promise<GBDTModel> {
  const r = resolveFitGBDT(opts);
  const addon = loadAddon();
  const f = await callNative(() => addon.gbdtFit(r.X, r.y, r.sampleWeight, r.native));
  const k = r.native.task === 'multiclass' ? r.native.nClasses : 1;
  const state = {
    nFeatures: r.native.d,
    outputs: k,
    baseline: f.baseline,
    treeOffsets: f.treeOffsets,
    feature: f.feature,
    threshold: f.threshold,
    missingLeft: f.missingLeft,
    left: f.left,
    right: f.right,
    value: f.value,
    gain: f.gain,
    count: f.count,
  };
  const nClasses = r.native.task === 'regression' ? 1 : r.native.nClasses;
  return new GBDTModel(r.native.task, nClasses, f.nIter, r.categorical, state, Array.from(f.trainLoss), Array.from(f.validationLoss));
}
