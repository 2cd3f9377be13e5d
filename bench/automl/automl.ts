/**
 * Held-out score of `tunable automl --time-budget 120` against scikit-learn's HistGradientBoosting*,
 * RandomForest* and LogisticRegression/Ridge at their defaults, on the same rows.
 *
 * For each data set the test rows are those `tunable automl` itself sets aside (planSplits with the
 * same seed on the same target), written to temporary CSV files with the development rows: the
 * command runs on the whole file, its saved pipeline predicts the test file (`tunable predict`), and
 * sklearn_defaults.py fits on the development file and scores the test file.
 *
 *   node --import tsx bench/automl/automl.ts [--time-budget 120] [--seed 0] [--sets digits,breast_cancer,diabetes,titanic] [--no-record]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCsv } from '../../src/automl/csv.js';
import { readTable } from '../../src/automl/data.js';
import { planSplits } from '../../src/automl/split.js';
import { prepareTarget } from '../../src/automl/target.js';
import type { Task } from '../../src/automl/types.js';
import { writeResultsSection } from '../results-md.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SHARED = join(ROOT, '..', 'shared', 'data');
const HERE = join(ROOT, 'bench', 'automl', 'data');

interface DataSet {
  readonly name: string;
  readonly file: string;
  readonly target: string;
}

const SETS: readonly DataSet[] = [
  { name: 'digits', file: join(SHARED, 'digits.csv'), target: 'digit' },
  { name: 'breast_cancer', file: join(SHARED, 'breast_cancer.csv'), target: 'benign' },
  { name: 'diabetes', file: join(HERE, 'diabetes.csv'), target: 'progression' },
  { name: 'titanic', file: join(HERE, 'titanic.csv'), target: 'survived' },
];

const { values: args } = parseArgs({
  options: {
    'time-budget': { type: 'string', default: '120' },
    seed: { type: 'string', default: '0' },
    sets: { type: 'string', default: SETS.map((s) => s.name).join(',') },
    'no-record': { type: 'boolean', default: false },
  },
});
const budget = Number(args['time-budget']);
const seed = Number(args.seed);
const chosen = args.sets.split(',').map((n) => SETS.find((s) => s.name === n) ?? fail(`unknown set ${n}`));

function fail(message: string): never {
  throw new Error(message);
}

type Scores = Record<string, number>;

const csvField = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function writeRows(path: string, header: readonly string[], rows: readonly (readonly string[])[]): void {
  writeFileSync(path, [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n');
}

function run(cmd: string, argv: string[], cwd: string): string {
  const r = spawnSync('nice', [cmd, ...argv], { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Scores of a `tunable predict --probabilities` CSV against the test rows' target cells. */
function scorePredictions(file: string, truth: readonly string[], task: Task): Scores {
  const { header, rows } = parseCsv(readFileSync(file, 'utf8'), file);
  if (task === 'regression') {
    const e = rows.map((r, i) => Number(r[0]) - Number(truth[i]));
    const y = truth.map(Number);
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    const ssTot = y.reduce((a, v) => a + (v - mean) ** 2, 0);
    const sse = e.reduce((a, v) => a + v * v, 0);
    return { rmse: Math.sqrt(sse / e.length), mae: e.reduce((a, v) => a + Math.abs(v), 0) / e.length, r2: 1 - sse / ssTot };
  }
  const classes = header.slice(1).map((h) => h.slice(2, -1)); // "P(label)"
  let hit = 0;
  let loss = 0;
  rows.forEach((r, i) => {
    if (r[0] === truth[i]) hit++;
    const p = Number(r[1 + classes.indexOf(truth[i]!)]);
    loss -= Math.log(Math.min(Math.max(p, 1e-15), 1 - 1e-15));
  });
  return { accuracy: hit / rows.length, log_loss: loss / rows.length };
}

interface Result {
  readonly set: DataSet;
  readonly task: Task;
  readonly nDev: number;
  readonly nTest: number;
  readonly automl: Scores;
  readonly automlSeconds: number;
  readonly trials: number;
  readonly delivered: string;
  readonly sklearn: Record<string, Scores>;
}

async function bench(set: DataSet): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), `automl-bench-${set.name}-`));
  const table = await readTable(set.file);
  const target = prepareTarget(table, set.target);
  const plan = planSplits(target.y, target.task, { seed });
  const { header, rows } = parseCsv(readFileSync(set.file, 'utf8'), set.file);
  // target.rows maps the target's positions (what the split indexes) to the file's records.
  const pick = (idx: Int32Array): string[][] => Array.from(idx, (p) => [...rows[target.rows[p]!]!]);
  const t = header.indexOf(set.target);
  // The target goes last for sklearn_defaults.py.
  const reorder = (r: readonly string[]): string[] => [...r.filter((_, j) => j !== t), r[t]!];
  writeRows(join(dir, 'dev.csv'), reorder(header), pick(plan.dev).map(reorder));
  writeRows(join(dir, 'test.csv'), reorder(header), pick(plan.test).map(reorder));
  const truth = pick(plan.test).map((r) => r[t]!);

  const cli = ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];
  const t0 = performance.now();
  const out = run(process.execPath, [...cli, 'automl', set.file, '--target', set.target, '--time-budget', String(budget), '--seed', String(seed), '--storage', 'memory:', '--save', join(dir, 'model')], ROOT);
  const automlSeconds = (performance.now() - t0) / 1000;
  run(process.execPath, [...cli, 'predict', join(dir, 'model'), join(dir, 'test.csv'), '--out', join(dir, 'pred.csv'), '--probabilities'], ROOT);
  const automl = scorePredictions(join(dir, 'pred.csv'), truth, target.task);
  const trials = Number(/^(\d+) trials in /m.exec(out)?.[1] ?? NaN);
  const ensemble = /^Ensemble of (\d+)/m.exec(out);
  const bestLine = /^\s+1\s+trial \d+\s+(\S+)/m.exec(out);
  const delivered = ensemble !== null ? `ensemble of ${ensemble[1]}` : (bestLine?.[1] ?? '?');
  process.stderr.write(out.split('\n').filter((l) => !l.startsWith('trial ')).join('\n') + '\n');

  const py = run('/usr/bin/python3', [join(ROOT, 'bench', 'automl', 'sklearn_defaults.py'), join(dir, 'dev.csv'), join(dir, 'test.csv'), target.task, String(seed)], ROOT);
  return { set, task: target.task, nDev: plan.dev.length, nTest: plan.test.length, automl, automlSeconds, trials, delivered, sklearn: JSON.parse(py) as Record<string, Scores> };
}

const f4 = (v: number | undefined): string => (v === undefined ? '—' : v.toFixed(4));

/** Whether automl's test metric is at least the best scikit-learn default's. */
function goalMet(r: Result): boolean {
  const sk = Object.values(r.sklearn);
  if (r.task === 'regression') return r.automl['rmse']! <= Math.min(...sk.map((s) => s['rmse']!));
  return r.automl['accuracy']! >= Math.max(...sk.map((s) => s['accuracy']!));
}

/** The verdict under the table: the goal's count and how coarse each test metric is. */
function verdict(results: readonly Result[]): string {
  const met = results.filter(goalMet).map((r) => r.set.name);
  const missed = results.filter((r) => !goalMet(r)).map((r) => r.set.name);
  const grain = results.filter((r) => r.task !== 'regression').map((r) => `${r.set.name} ${(100 / r.nTest).toFixed(2)} pp`);
  return (
    `Goal (the issue's: at least the best scikit-learn default on every data set, on the test metric): met on ${met.length} of ` +
    `${results.length}${met.length > 0 ? ` (${met.join(', ')})` : ''}${missed.length > 0 ? `; missed on ${missed.join(', ')}` : ''}. ` +
    `One test row is worth ${grain.join(', ')} of accuracy: differences of a row or two are within the split's noise.`
  );
}

function table(results: readonly Result[]): string {
  const lines = [
    '| data set | task | dev / test rows | test metric | tunable automl | HistGradientBoosting | RandomForest | LogisticRegression / Ridge | goal: ≥ best default | automl trials, delivered |',
    '|---|---|---:|---|---:|---:|---:|---:|:---:|---|',
  ];
  for (const r of results) {
    const reg = r.task === 'regression';
    const main = reg ? 'rmse' : 'accuracy';
    const second = reg ? 'r2' : 'log_loss';
    const sk = Object.values(r.sklearn);
    const met = goalMet(r);
    const cellOf = (s: Scores): string => `${f4(s[main])} (${f4(s[second])})`;
    lines.push(
      `| ${r.set.name} | ${r.task} | ${r.nDev} / ${r.nTest} | ${main} (${second}) | ${cellOf(r.automl)} | ${sk.map(cellOf).join(' | ')} | ${met ? '✓' : '✗'} | ${r.trials}, ${r.delivered} |`,
    );
  }
  return lines.join('\n');
}

const results: Result[] = [];
for (const set of chosen) {
  process.stderr.write(`== ${set.name}\n`);
  results.push(await bench(set));
  process.stderr.write(table(results.slice(-1)) + '\n');
}
const text = table(results);
console.log(text);
if (!args['no-record']) {
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  writeResultsSection(
    '## AutoML against scikit-learn defaults (issue 23)',
    `## AutoML against scikit-learn defaults (issue 23)

Command: \`node --import tsx bench/automl/automl.ts --time-budget ${budget} --seed ${seed}\` (run under \`nice\`).

Machine: the development machine (2 cores shared with other work, Node 20); scikit-learn ${'1.2.1'} from Debian's python3-sklearn.

Date: ${date} UTC.

Each data set is split once by the split \`tunable automl\` makes itself (seed ${seed}: 20 % test rows, stratified for
classes); \`tunable automl FILE --target COL --time-budget ${budget}\` runs on the whole file (it never selects on the
test rows), its saved pipeline predicts the test rows through \`tunable predict\`, and scikit-learn's models are
fitted at their default hyperparameters on the development rows (bench/automl/sklearn_defaults.py says how
columns are prepared for them). Data: bench/automl/data/README.md. Cells: the test metric, the second metric
in parentheses.

${text}

${verdict(results)}
`,
  );
}
