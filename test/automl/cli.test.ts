import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, runCli as cli } from '../helpers.js';
import { breastCancerRows } from './fixtures.js';

function writeCsv(path: string, rows: readonly Record<string, unknown>[]): void {
  const names = Object.keys(rows[0]!);
  writeFileSync(path, [names.join(','), ...rows.map((r) => names.map((n) => r[n]).join(','))].join('\n') + '\n');
}

describe('tunable automl and tunable predict', () => {
  const dir = tempDir();
  writeCsv(join(dir, 'bc.csv'), breastCancerRows(150));

  it('searches with one line per trial, keeps the study in ./tunable.db, saves, reports; a second run resumes', () => {
    const r = cli(dir, 'automl', 'bc.csv', '--target', 'benign', '--time-budget', '2.5', '--learners', 'linear,gbdt', '--save', 'model', '--report', 'report.md');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^trial 0 {2}linear {2}complete {2}log_loss \d\.\d+ {2}best \d\.\d+ {2}\d+ s {2}\d+ s left$/m);
    expect(r.stdout).toMatch(/^Leaderboard \(CV log_loss, 5-fold on 120 rows\):$/m);
    expect(r.stdout).toMatch(/^Test \(30 rows never used for selection\): accuracy [\d.]+, balanced_accuracy [\d.]+, log_loss [\d.]+, roc_auc [\d.]+$/m);
    expect(r.stdout).toContain('Saved the pipeline to model (tunable predict model DATA --out predictions.csv)');
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/^# AutoML report: benign$/m);
    const n = Number(/^(\d+) trials in /m.exec(r.stdout)![1]);
    expect(cli(dir, 'studies').stdout).toMatch(new RegExp(`^automl-bc\\.csv-benign\\s+minimize\\s+${n}\\s`, 'm'));

    const again = cli(dir, 'automl', 'bc.csv', '--target', 'benign', '--time-budget', '1', '--learners', 'linear');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^trial ${n} {2}linear `, 'm'));
  }, 60_000);

  it('predicts labels, and class probabilities with --probabilities, into a CSV', () => {
    const r = cli(dir, 'predict', 'model', 'bc.csv', '--out', 'p.csv', '--probabilities');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Wrote 150 predictions to p.csv\n');
    const lines = readFileSync(join(dir, 'p.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('benign,P(0),P(1)');
    expect(lines).toHaveLength(151);
    for (const l of lines.slice(1)) {
      const [label, p0, p1] = l.split(',').map(Number);
      expect(label === 0 || label === 1).toBe(true);
      expect(p0! + p1!).toBeCloseTo(1, 12);
      expect(label).toBe(p1! >= 0.5 ? 1 : 0);
    }
    const stdout = cli(dir, 'predict', 'model', 'bc.csv');
    expect(stdout.stdout.split('\n')[0]).toBe('benign');
  }, 60_000);

  const bad: [string, string, string[], string][] = [
    ['empty.csv', '', [], 'empty.csv is empty: expected a header row and at least one data row'],
    ['ragged.csv', 'a,b,y\n1,2,0\n3,4\n', [], 'ragged.csv: line 3 has 2 fields but the header has 3'],
    ['mixed.csv', 'a,y\n1,0\n2,1\n3,0\n4,1\n5,0\nx,1\n6,0\n7,1\n8,0\n9,1\n', [], 'mixed.csv: column "a" is mixed: 9 numbers and 1 non-numeric value(s), e.g. "x" on line 7; fix or blank those cells (missing: "", "NA", "NaN", "null", "?")'],
    ['latin1.csv', 'a,y\n1,caf\u00e9\n', [], 'latin1.csv is not valid UTF-8: byte 0xe9 at byte offset 9; save it as UTF-8'],
    ['const.csv', 'a,y\n1,1\n2,1\n3,1\n', [], 'The target column "y" is constant (every present value is 1): there is nothing to learn'],
    ['oneclass.csv', 'a,y\n1,yes\n2,yes\n3,\n', [], 'The target column "y" is constant (every present value is "yes"): there is nothing to learn'],
    ['notarget.csv', 'a,y\n1,\n2,\n', [], 'The target column "y" has no values: every row is missing'],
    ['const.csv', 'a,y\n1,1\n2,1\n3,1\n', ['--target', 'z'], 'The target column "z" is not in the table; its columns are "a", "y"'],
    ['const.csv', 'a,y\n1,1\n2,1\n3,1\n', ['--report', 'r.pdf'], 'Expected a file name ending in .md or .html for `--report` but received "r.pdf"'],
    ['const.csv', 'a,y\n1,1\n2,1\n3,1\n', ['--time-budget', '0'], 'Expected a number of seconds in (0, 604800] for `--time-budget` but received "0"'],
  ];
  it.each(bad)('refuses %s %j with exit code 2 and one line', (file, text, extra, message) => {
    const bytes = file === 'latin1.csv' ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf8');
    writeFileSync(join(dir, file), bytes);
    const args = extra.includes('--target') ? extra : ['--target', 'y', ...extra];
    const r = cli(dir, 'automl', file, ...args, '--storage', 'memory:');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tunable: ERR_INVALID_ARGUMENT: ${message}\n`);
  });

  it('refuses a time budget too small for one pipeline, with how long one fit took', () => {
    const r = cli(dir, 'automl', 'bc.csv', '--target', 'benign', '--time-budget', '0.0001', '--learners', 'gbdt', '--storage', 'memory:');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tunable: ERR_INVALID_ARGUMENT: Expected a `timeBudget` long enough to cross-validate one pipeline but received 0\.0001 s: one fit \(gbdt, one fold of 5\) took \d+\.\d\d s/);
  }, 60_000);

  it('refuses prediction data that lack a column the pipeline reads', () => {
    writeFileSync(join(dir, 'short.csv'), 'mean_radius,mean_texture\n1,2\n');
    const r = cli(dir, 'predict', 'model', 'short.csv', '--out', 'q.csv');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tunable: ERR_INVALID_ARGUMENT: The data lack columns "mean_perimeter", "mean_area", .*"worst_fractal_dimension" that the model reads; its columns are "mean_radius", /);
    expect(existsSync(join(dir, 'q.csv'))).toBe(false);
  });

  it('prints its help', () => {
    expect(cli(dir, 'automl', '--help').stdout).toMatch(/^Usage: tunable automl DATA --target COL/);
    expect(cli(dir, 'predict', '--help').stdout).toMatch(/^Usage: tunable predict DIR DATA/);
  });
});
