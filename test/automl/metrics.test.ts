import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defaultMetric, METRICS, metricFor, score } from '../../src/automl/metrics.js';

const f = (a: number[]) => Float64Array.from(a);

// Binary: P(class 1). AUC by hand: of the 5×3 positive/negative pairs, 13 are ordered and 2 tied → 14/15.
const yb = f([0, 1, 1, 0, 1, 0, 1, 1]);
const pb = f([0.1, 0.8, 0.4, 0.4, 0.9, 0.3, 0.4, 0.7]);
// Multiclass: (6, 3) probabilities.
const ym = f([0, 1, 2, 2, 1, 0]);
const pm = f([0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.1, 0.3, 0.6, 0.3, 0.3, 0.4, 0.4, 0.4, 0.2, 0.5, 0.25, 0.25]);

describe('classification metrics', () => {
  it('accuracy and balanced accuracy', () => {
    // Predicted: 0 1 0 0 1 0 0 1 → 6 of 8 right; recall class 0: 3/3, class 1: 3/5.
    expect(score('accuracy', 'binary', yb, pb)).toBe(6 / 8);
    expect(score('balanced_accuracy', 'binary', yb, pb)).toBeCloseTo((1 + 3 / 5) / 2, 15);
    // Multiclass argmax: 0 1 2 2 0 0 (row 4 ties 0.4/0.4 → the first) → 5 of 6; recalls 1, 1/2, 1.
    expect(score('accuracy', 'multiclass', ym, pm, 3)).toBeCloseTo(5 / 6, 15);
    expect(score('balanced_accuracy', 'multiclass', ym, pm, 3)).toBeCloseTo(2.5 / 3, 15);
  });

  it('ROC AUC counts ties as half', () => {
    expect(score('roc_auc', 'binary', yb, pb)).toBeCloseTo(14 / 15, 15);
    expect(score('roc_auc', 'multiclass', ym, pm, 3)).toBe(1);
    expect(() => score('roc_auc', 'binary', f([1, 1]), f([0.2, 0.3]))).toThrow('ROC AUC is undefined when yTrue has no negatives for class 1');
  });

  it('log-loss by hand, with clipping of confident mistakes', () => {
    expect(score('log_loss', 'binary', f([1, 0]), f([0.8, 0.4]))).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 14);
    expect(score('log_loss', 'binary', f([1]), f([0]))).toBeCloseTo(-Math.log(1e-15), 6);
    expect(score('log_loss', 'multiclass', f([2]), f([0.2, 0.3, 0.5]), 3)).toBeCloseTo(-Math.log(0.5), 14);
  });
});

describe('regression metrics', () => {
  const y = f([3, -0.5, 2, 7]);
  const p = f([2.5, 0, 2, 8]);
  it('RMSE, MAE and R² by hand', () => {
    expect(score('rmse', 'regression', y, p)).toBeCloseTo(Math.sqrt(1.5 / 4), 15);
    expect(score('mae', 'regression', y, p)).toBeCloseTo(2 / 4, 15);
    // mean 2.875; SStot = 29.1875; SSres = 1.5.
    expect(score('r2', 'regression', y, p)).toBeCloseTo(1 - 1.5 / 29.1875, 15);
    expect(score('r2', 'regression', f([1, 1]), f([1, 1]))).toBe(1);
    expect(score('r2', 'regression', f([1, 1]), f([1, 2]))).toBe(0);
  });
});

describe('metric lookup', () => {
  it('has a direction per metric and a default per task', () => {
    expect(METRICS.log_loss.direction).toBe('minimize');
    expect(METRICS.roc_auc.direction).toBe('maximize');
    expect(METRICS.r2.direction).toBe('maximize');
    expect(defaultMetric('binary')).toBe('log_loss');
    expect(defaultMetric('multiclass')).toBe('log_loss');
    expect(defaultMetric('regression')).toBe('rmse');
  });

  it('names the valid metrics for an unknown or misplaced one', () => {
    expect(() => metricFor('f1', 'binary')).toThrow('Unknown metric "f1"; valid metrics for binary are "accuracy", "balanced_accuracy", "log_loss", "roc_auc"');
    expect(() => metricFor('rmse', 'multiclass')).toThrow('Metric "rmse" does not apply to multiclass tasks; valid metrics are "accuracy", "balanced_accuracy", "log_loss", "roc_auc"');
    expect(() => score('accuracy', 'multiclass', ym, pm.subarray(1), 3)).toThrow('Expected 18 predictions (6 rows x 3) for `pred` but received 17');
  });
});

const PYTHON = '/usr/bin/python3';
const sklearn = async (): Promise<number[]> => {
  const script = `
import json, numpy as np
from sklearn.metrics import roc_auc_score, log_loss
yb=${JSON.stringify(Array.from(yb))}; pb=${JSON.stringify(Array.from(pb))}
ym=${JSON.stringify(Array.from(ym))}; pm=np.array(${JSON.stringify(Array.from(pm))}).reshape(-1, 3)
print(json.dumps([roc_auc_score(yb, pb), log_loss(yb, pb), roc_auc_score(ym, pm, multi_class='ovr'), log_loss(ym, pm)]))`;
  // python3-sklearn is installed wherever the tests run (.ci/run): a failure here is a failure.
  const { stdout } = await promisify(execFile)(PYTHON, ['-c', script], { timeout: 30_000 });
  return JSON.parse(stdout) as number[];
};

describe('against scikit-learn', () => {
  it('ROC AUC and log-loss agree', async () => {
    const [aucB, llB, aucM, llM] = (await sklearn()) as [number, number, number, number];
    expect(score('roc_auc', 'binary', yb, pb)).toBeCloseTo(aucB, 12);
    expect(score('log_loss', 'binary', yb, pb)).toBeCloseTo(llB, 12);
    expect(score('roc_auc', 'multiclass', ym, pm, 3)).toBeCloseTo(aucM, 12);
    expect(score('log_loss', 'multiclass', ym, pm, 3)).toBeCloseTo(llM, 12);
  });
});
