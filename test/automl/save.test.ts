import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { automl, loadAutoml } from '../../src/automl/index.js';
import { tempDir } from '../helpers.js';
import { breastCancerRows, regressionRows } from './fixtures.js';

describe('a saved AutoML pipeline', () => {
  const dir = tempDir();

  it('reloads and predicts what the run predicted, from rows and from a CSV file', async () => {
    const rows = breastCancerRows(150);
    const out = join(dir, 'bc');
    const r = await automl({ data: rows, target: 'benign', timeBudget: 2, learners: ['linear', 'gbdt'], save: out });
    expect(readdirSync(out).sort()).toEqual(['model-0.json', ...r.pipeline.members.slice(1).map((_, i) => `model-${i + 1}.json`), 'pipeline.json'].sort());
    const meta = JSON.parse(readFileSync(join(out, 'pipeline.json'), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({ format: 'tunable.automl', version: 1, target: 'benign', task: 'binary', classes: [0, 1], metric: 'log_loss' });
    expect((meta['columns'] as unknown[]).length).toBe(30);

    const loaded = await loadAutoml(out);
    const sample = rows.slice(100, 130);
    const [a, b] = [await r.predict(sample), await loaded.predict(sample)];
    expect(b.values).toEqual(a.values);
    expect(Array.from(b.probabilities!)).toEqual(Array.from(a.probabilities!));

    const names = Object.keys(sample[0]!);
    const csv = join(dir, 'bc.csv');
    writeFileSync(csv, [names.join(','), ...sample.map((s) => names.map((n) => s[n]).join(','))].join('\n') + '\n');
    expect((await loaded.predict(csv)).values).toEqual(a.values);
    await r.study.storage.close();
  }, 30_000);

  it('answers regression in values, with label columns and missing cells in the new rows', async () => {
    const out = join(dir, 'reg');
    const r = await automl({ data: regressionRows(200), target: 'y', timeBudget: 1.5, learners: ['linear'], save: out });
    const loaded = await loadAutoml(out);
    const rows = [{ x1: 0.1, x2: null, colour: 'purple' }, { x1: -0.4, x2: 0.3, colour: 'red' }];
    expect((await loaded.predict(rows)).values).toEqual((await r.predict(rows)).values);
  }, 30_000);

  it('refuses data that lack a column the pipeline reads, naming every missing one', async () => {
    const loaded = await loadAutoml(join(dir, 'reg'));
    await expect(loaded.predict([{ x1: 1 }])).rejects.toThrow('The data lack columns "x2", "colour" that the model reads; its columns are "x1", "x2", "colour"');
  });

  it('refuses a directory that holds no pipeline', async () => {
    await expect(loadAutoml(join(dir, 'nothing'))).rejects.toThrow(/^Cannot read ".*nothing\/pipeline\.json": .* \(is it a directory written by `tunable automl --save`\?\)$/);
  });
});
