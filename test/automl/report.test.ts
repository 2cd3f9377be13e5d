import { describe, expect, it } from 'vitest';
import { automl, renderReport } from '../../src/automl/index.js';
import { buildLeaderboard, learningCurve } from '../../src/automl/report.js';
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';
import { breastCancerRows } from './fixtures.js';

function trial(number: number, value: number | null, startS: number, endS: number, learner = 'linear'): FrozenTrial {
  const t: FrozenTrial = {
    number,
    trialId: number,
    state: value === null ? TrialState.PRUNED : TrialState.COMPLETE,
    values: value === null ? null : [value],
    params: {},
    internalParams: {},
    distributions: {},
    userAttrs: { pipeline: { learner, preprocess: {}, config: {} }, family: learner, cvStd: 0.01, seconds: endS - startS },
    systemAttrs: {},
    intermediateValues: new Map(),
    datetimeStart: new Date(1e12 + startS * 1000),
    datetimeComplete: new Date(1e12 + endS * 1000),
  };
  return t;
}

describe('AutoML leaderboard and learning curve', () => {
  const trials = [trial(0, 0.5, 0, 1), trial(1, 0.3, 1, 3, 'gbdt'), trial(2, null, 3, 4), trial(3, 0.4, 4, 5), trial(4, 0.2, 5, 8, 'gbdt')];

  it('ranks complete trials best first for the direction, pruned ones left out', () => {
    expect(buildLeaderboard(trials, 'minimize').map((r) => [r.rank, r.trial, r.learner])).toEqual([[1, 4, 'gbdt'], [2, 1, 'gbdt'], [3, 3, 'linear'], [4, 0, 'linear']]);
    expect(buildLeaderboard(trials, 'maximize').map((r) => r.trial)).toEqual([0, 3, 1, 4]);
  });

  it('records each improvement of the best score against seconds since the first start', () => {
    expect(learningCurve(trials, 'minimize')).toEqual([
      { seconds: 1, best: 0.5, trial: 0 },
      { seconds: 3, best: 0.3, trial: 1 },
      { seconds: 8, best: 0.2, trial: 4 },
    ]);
  });
});

describe('renderReport', () => {
  it('writes Markdown and HTML with the leaderboard, test score, per-learner best, importances and curve', async () => {
    const r = await automl({ data: breastCancerRows(150), target: 'benign', timeBudget: 3, learners: ['linear', 'gbdt'], seed: 1 });
    const md = await renderReport(r, 'md');
    for (const h of ['# AutoML report: benign', '## Test score', '## Leaderboard', '## Best pipeline per learner', '## Learning curve']) expect(md).toContain(h);
    expect(md).toMatch(/^## Parameter importance: every trial \(\d+ trials\)$/m);
    expect(md).toMatch(/^\| learner \| [01]\.\d+ \|$/m);
    expect(md).toMatch(new RegExp(`^\\| 1 \\| ${r.best.trial} \\| ${r.best.learner} \\| `, 'm'));
    const html = await renderReport(r, 'html');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<h2>Leaderboard</h2>');
    expect(html).toContain('<svg');
    await r.study.storage.close();
  }, 30_000);
});
