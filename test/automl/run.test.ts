import { describe, expect, it } from 'vitest';
import { automl, LEARNERS, type ProgressEvent } from '../../src/automl/index.js';
import { defaultTrials, suggestPipeline, type DataShape } from '../../src/automl/space.js';
import { RandomSampler } from '../../src/samplers/index.js';
import { MemoryStorage } from '../../src/storage/index.js';
import { createStudy } from '../../src/study/study.js';
import { breastCancerRows, regressionRows } from './fixtures.js';

// Real learners on small data with budgets of seconds: what is checked is the orchestration (splits,
// study, pruning, time budget, refit, test score), and that its answers are sensible.
describe('automl', () => {
  it('classifies breast cancer: leaderboard, refitted best, a test score, predictions as labels', async () => {
    const rows = breastCancerRows(200);
    const events: ProgressEvent[] = [];
    const r = await automl({ data: rows, target: 'benign', timeBudget: 4, learners: ['linear', 'gbdt'], onProgress: (e) => events.push(e) });
    expect(r.task).toBe('binary');
    expect(r.metric).toBe('log_loss');
    expect(r.classes).toEqual([0, 1]);
    expect(r.rows).toEqual({ dev: 160, test: 40, droppedTarget: 0, cv: 'kfold', folds: 5 });
    expect(r.leaderboard.length).toBeGreaterThanOrEqual(2);
    expect(r.best).toBe(r.leaderboard[0]);
    for (let i = 1; i < r.leaderboard.length; i++) expect(r.leaderboard[i]!.score).toBeGreaterThanOrEqual(r.leaderboard[i - 1]!.score);
    expect(new Set(r.leaderboard.map((l) => l.learner))).toEqual(new Set(['linear', 'gbdt']));
    expect(r.testScores!.accuracy).toBeGreaterThan(0.85);
    // One event per trial this run started, in order, each with the study's best so far.
    expect(events.map((e) => e.trial)).toEqual(Array.from({ length: r.trialsRun }, (_, i) => i));
    expect(events.at(-1)!.best).toBe(r.best.score);
    // The time budget is kept: the search stops before it, or within one fit after it.
    expect(r.seconds).toBeLessThan(4 + 1.5);
    const p = await r.predict(rows.slice(0, 10));
    expect(p.values.every((v) => v === 0 || v === 1)).toBe(true);
    expect(p.probabilities).toHaveLength(20);
    expect(p.values.filter((v, i) => v === rows[i]!['benign']).length).toBeGreaterThanOrEqual(8);
    await r.study.storage.close();
  }, 30_000);

  it('regresses on numbers, labels and missing values', async () => {
    const r = await automl({ data: regressionRows(300), target: 'y', timeBudget: 4, learners: ['linear', 'gbdt'], seed: 3 });
    expect(r.task).toBe('regression');
    expect(r.metric).toBe('rmse');
    expect(r.testScores!.r2).toBeGreaterThan(0.9);
    const p = await r.predict([{ x1: 0.5, x2: null, colour: 'red' }]);
    expect(typeof p.values[0]).toBe('number');
    expect(p.probabilities).toBeNull();
  }, 30_000);

  it('resumes a study of the same name: trial numbers continue, the leaderboard holds both runs', async () => {
    const storage = new MemoryStorage();
    const rows = breastCancerRows(120);
    const opts = { data: rows, target: 'benign', timeBudget: 1.5, learners: ['linear'], storage, studyName: 's' } as const;
    const first = await automl(opts);
    const second = await automl(opts);
    expect(second.study.trials.length).toBe(first.trialsRun + second.trialsRun);
    expect(second.leaderboard.length).toBeGreaterThan(first.leaderboard.length);
    await expect(automl({ ...opts, metric: 'accuracy' })).rejects.toThrow(
      'Study "s" was run with metric "log_loss", not "accuracy": its scores are not comparable; pass another study name',
    );
  }, 30_000);

  it('refuses a time budget too small for one pipeline, saying how long one fit took', async () => {
    await expect(automl({ data: breastCancerRows(200), target: 'benign', timeBudget: 1e-4, learners: ['gbdt'] })).rejects.toThrow(
      /^Expected a `timeBudget` long enough to cross-validate one pipeline but received 0\.0001 s: one fit \(gbdt, one fold of 5\) took \d+\.\d\d s, and a pipeline needs 5 or more; pass at least \d+ s$/,
    );
  }, 30_000);

  it('refuses bad options and targets with messages that name them', async () => {
    const rows = breastCancerRows(60);
    await expect(automl({ data: rows, target: 'nope' })).rejects.toThrow(/^The target column "nope" is not in the table; its columns are "mean_radius", /);
    await expect(automl({ data: rows.map((r) => ({ ...r, benign: 1 })), target: 'benign' })).rejects.toThrow(
      'The target column "benign" is constant (every present value is 1): there is nothing to learn',
    );
    await expect(automl({ data: rows, target: 'benign', learners: ['xgb'] })).rejects.toThrow(`Expected one of ${LEARNERS.map((l) => JSON.stringify(l.name)).join(', ')} for \`learners[0]\` but received "xgb"`);
    await expect(automl({ data: rows, target: 'benign', timeBudget: 0 })).rejects.toThrow('`timeBudget`');
    await expect(automl({ data: rows, target: 'benign', metric: 'rmse' })).rejects.toThrow(
      'Metric "rmse" does not apply to binary tasks; valid metrics are "accuracy", "balanced_accuracy", "log_loss", "roc_auc"',
    );
    await expect(automl({ data: [{ benign: 1 }, { benign: 0 }], target: 'benign' })).rejects.toThrow(
      'The table has no column besides the target "benign": nothing to predict from',
    );
  });
});

describe('the CASH space', () => {
  const shape = (hasCategorical: boolean): DataShape => ({ hasCategorical, width: { onehot: 12, ordinal: 4 } });

  it('asks each trial only what its learner uses: trees get no scaling and ordinal codes', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
    const seen = new Map<string, Set<string>>();
    for (let i = 0; i < 40; i++) {
      const trial = await study.ask();
      const spec = suggestPipeline(trial, LEARNERS, shape(true));
      const names = Object.keys(trial.params);
      expect(names.filter((n) => n.includes('.') && !n.startsWith('prep.')).every((n) => n.startsWith(`${spec.learner}.`))).toBe(true);
      if (spec.learner === 'gbdt' || spec.learner === 'forest') {
        expect(names).not.toContain('prep.scaling');
        expect(spec.preprocess).toMatchObject({ scaling: 'none', encoding: 'ordinal' });
      } else {
        expect(names).toContain('prep.scaling');
        expect(names).toContain('prep.encoding');
      }
      if (spec.preprocess.selection != null) expect(spec.preprocess.selection).toEqual({ kind: 'topk', k: expect.any(Number) });
      seen.set(spec.learner, new Set(names));
      await study.tell(trial, 0);
    }
    expect([...seen.keys()].sort()).toEqual(LEARNERS.map((l) => l.name).sort());
  });

  it('asks nothing about labels when the data have none', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 1 }) });
    const trial = await study.ask();
    suggestPipeline(trial, LEARNERS, shape(false));
    expect(Object.keys(trial.params)).not.toContain('prep.categoricalImpute');
    expect(Object.keys(trial.params)).not.toContain('prep.encoding');
  });

  it('starts a fresh study with every learner at its defaults on the default preprocessing', () => {
    const first = defaultTrials(LEARNERS, 'binary');
    expect(first.map((p) => p['learner'])).toEqual(LEARNERS.map((l) => l.name));
    expect(first[0]).toMatchObject({ learner: 'gbdt', 'gbdt.learningRate': 0.1, 'prep.scaling': 'standard', 'prep.selection': 'none' });
  });
});
