/**
 * `tunable automl DATA --target COL` and `tunable predict DIR DATA`: the AutoML search on the command
 * line (one line per trial), and predictions from a saved pipeline written as CSV. Flags are checked
 * before the data are read or the storage opened.
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { automl, DEFAULT_TIME_BUDGET, formatProgress, LEARNERS, loadAutoml, METRIC_NAMES, renderReport, TASK_OPTIONS, type AutomlResult } from '../automl/index.js';
import { InvalidArgumentError, IOError } from '../errors.js';
import { ioReason } from '../util/io-reason.js';
import { invalid } from '../validate.js';
import { bool, choice, list, optionalInteger, optionalSeconds, required, text, type Flags } from './args.js';
import type { Command } from './command.js';

/** A time budget past a week is a typo; the bound also keeps every deadline a valid timer. */
const MAX_TIME_BUDGET = 7 * 24 * 3600;

export const AUTOML_HELP = `Usage: tunable automl DATA --target COL [options]

Searches preprocessing, model family and hyperparameters for predicting COL from the other columns of
DATA (a CSV file with a header row, or a .json array of row objects), refits the best pipeline (or an
ensemble of the best) and scores it on held-out test rows. One line per trial is printed as it ends.

Options:
  --target COL               the column to predict (required)
  --task T                   classification | regression (default: inferred from the target)
  --metric M                 ${METRIC_NAMES.join(' | ')}
                             (default: log_loss for classification, rmse for regression)
  --time-budget S            seconds for the search and the final refit (default ${DEFAULT_TIME_BUDGET})
  --seed N                   seeds the splits, the sampler and the learners (default 0)
  --storage URL              where the study is kept (default sqlite:./tunable.db)
  --study-name S             default automl-<DATA file name>-<COL>; the same name resumes the study
  --save DIR                 write the fitted pipeline to DIR (read by tunable predict)
  --report FILE.md|.html     write a report: leaderboard, test score, importances, learning curve
  --learners a,b             search only these learners (default all: ${LEARNERS.map((l) => l.name).join(', ')})

Exit status:
  0  done
  1  the operation failed (storage, a file not readable or writable)
  2  bad usage or input (unknown option, malformed value, a bad data file or target, a time budget too
     small for one pipeline)`;

export const PREDICT_HELP = `Usage: tunable predict DIR DATA [--out FILE.csv] [--probabilities]

Predicts with the pipeline saved in DIR (by tunable automl --save) for each row of DATA (CSV or .json),
and writes a CSV with one column named after the target (class labels or values) and, with
--probabilities, one column per class, "P(<label>)". Without --out the CSV goes to stdout.

Exit status:
  0  done
  1  DIR or DATA not readable, FILE not writable
  2  bad usage or input (DATA lacks a column the pipeline reads, a malformed file)`;

function operand(flags: Flags, name: 'data' | 'model', what: string): string {
  const v = list(flags, name)[0];
  if (v === undefined) throw new InvalidArgumentError(`Missing ${what}`);
  return v;
}

function write(path: string, data: string, flag: string): void {
  try {
    writeFileSync(path, data);
  } catch (err) {
    throw new IOError(`Cannot write \`--${flag}\` file ${JSON.stringify(path)}: ${ioReason(err)}`);
  }
}

const fmt = (v: number): string => Number(v.toPrecision(5)).toString();

function summary(r: AutomlResult, out: (s: string) => void): void {
  out('');
  out(`Leaderboard (CV ${r.metric}, ${r.rows.cv === 'kfold' ? `${r.rows.folds}-fold` : 'holdout'} on ${r.rows.dev} rows):`);
  for (const l of r.leaderboard.slice(0, 10)) {
    out(`  ${String(l.rank).padStart(3)}  trial ${String(l.trial).padEnd(4)}  ${l.learner.padEnd(7)}  ${fmt(l.score)} ± ${fmt(l.std)}  ${l.seconds.toFixed(2)} s`);
  }
  if (r.ensemble !== null) {
    out(`Ensemble of ${r.ensemble.members.length}: CV ${r.metric} ${fmt(r.ensemble.cvScore)} (best alone ${fmt(r.ensemble.bestSingleCvScore)}); weights ${r.ensemble.members.map((m) => `#${m.trial} ${fmt(m.weight)}`).join(', ')}`);
  }
  if (r.testScores !== null) {
    out(`Test (${r.rows.test} rows never used for selection): ${Object.entries(r.testScores).map(([m, v]) => `${m} ${fmt(v)}`).join(', ')}`);
  }
  out(`${r.trialsRun} trials in ${r.seconds.toFixed(1)} s; study ${JSON.stringify(r.study.studyName)} on ${r.study.storage.url}`);
}

export const automlCommand: Command = {
  flags: ['data', 'target', 'task', 'metric', 'time-budget', 'seed', 'study-name', 'save', 'report', 'learners'],
  help: AUTOML_HELP,
  async run(flags, { storage, out }) {
    const data = operand(flags, 'data', 'the data file: tunable automl DATA.csv --target COL');
    const target = required(flags, 'target');
    const taskFlag = text(flags, 'task');
    const task = taskFlag === undefined ? undefined : choice('task', taskFlag, TASK_OPTIONS);
    const metricFlag = text(flags, 'metric');
    const metric = metricFlag === undefined ? undefined : choice('metric', metricFlag, METRIC_NAMES);
    const timeBudget = optionalSeconds(flags, 'time-budget', { zero: false, max: MAX_TIME_BUDGET }) ?? DEFAULT_TIME_BUDGET;
    const seed = optionalInteger(flags, 'seed', 0) ?? 0;
    const studyName = text(flags, 'study-name');
    const save = text(flags, 'save');
    const report = text(flags, 'report');
    const reportFormat = report === undefined ? undefined : extname(report).toLowerCase() === '.md' ? 'md' : extname(report).toLowerCase() === '.html' ? 'html' : null;
    if (reportFormat === null) throw invalid('--report', 'a file name ending in .md or .html', report);
    const learnersFlag = text(flags, 'learners');
    const learners = learnersFlag?.split(',').map((n) => choice('learners', n.trim(), LEARNERS.map((l) => l.name)));
    const result = await automl({
      data,
      target,
      timeBudget,
      seed,
      storage,
      ...(task === undefined ? {} : { task }),
      ...(metric === undefined ? {} : { metric }),
      ...(studyName === undefined ? {} : { studyName }),
      ...(save === undefined ? {} : { save }),
      ...(learners === undefined ? {} : { learners }),
      onProgress: (e) => out(formatProgress(e)),
    });
    try {
      summary(result, out);
      if (save !== undefined) out(`Saved the pipeline to ${save} (tunable predict ${save} DATA --out predictions.csv)`);
      if (report !== undefined && reportFormat !== undefined) {
        write(report, await renderReport(result, reportFormat), 'report');
        out(`Wrote the report ${report}`);
      }
    } finally {
      await result.study.storage.close();
    }
  },
};

/** One CSV field: quoted when it holds a comma, a quote or a line break. */
function csvField(v: string | number): string {
  const s = typeof v === 'number' ? String(v) : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const predictCommand: Command = {
  flags: ['model', 'data', 'out', 'probabilities'],
  help: PREDICT_HELP,
  async run(flags, { out }) {
    const dir = operand(flags, 'model', 'the pipeline directory: tunable predict DIR DATA.csv');
    const data = operand(flags, 'data', 'the data file: tunable predict DIR DATA.csv');
    const file = text(flags, 'out');
    const withProbabilities = bool(flags, 'probabilities');
    const pipeline = await loadAutoml(dir);
    const p = await pipeline.predict(data);
    const k = p.classes.length;
    const header = [pipeline.meta.target, ...(withProbabilities && p.probabilities !== null ? p.classes.map((c) => `P(${c})`) : [])];
    const lines = [header.map(csvField).join(',')];
    for (let i = 0; i < p.values.length; i++) {
      const row: (string | number)[] = [p.values[i]!];
      if (withProbabilities && p.probabilities !== null) for (let c = 0; c < k; c++) row.push(p.probabilities[i * k + c]!);
      lines.push(row.map(csvField).join(','));
    }
    const csv = lines.join('\n') + '\n';
    if (file === undefined) out(csv.slice(0, -1));
    else {
      write(file, csv, 'out');
      out(`Wrote ${p.values.length} predictions to ${file}`);
    }
  },
};
