/**
 * The `tunable` commands. Each one reads and checks all of its flags before it opens the storage, so
 * bad input is reported as such (exit code 2) and leaves nothing behind.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { distributionFrom, type Distribution } from '../distributions/index.js';
import { InvalidArgumentError, IOError } from '../errors.js';
import { createStudy, deleteStudy, getAllStudySummaries, loadStudy } from '../study/study.js';
import { TrialState, type FrozenTrial } from '../trial/index.js';
import { ioReason } from '../util/io-reason.js';
import { invalid } from '../validate.js';
import { bool, choice, decimal, integer, list, optionalInteger, required, text, type Flags } from './args.js';
import type { Command } from './command.js';
import { makeDemoObjective } from './demo.js';
import { createSampler, SAMPLER_NAMES } from './samplers.js';
import { existing, sqliteFile } from './storage-url.js';
import { worker } from './worker.js';
import { plotCommand } from './plot.js';
import { dashboard } from './dashboard.js';
import { importCommand } from './interop.js';
import { exportOptunaJournal } from '../interop/optuna/index.js';
import { automlCommand, predictCommand } from './automl.js';

const DIRECTIONS = ['minimize', 'maximize'] as const;
const SEED_MIN = 0;

function formatValue(t: FrozenTrial): string {
  return t.values === null ? '' : t.values.map((v) => v.toPrecision(6)).join(', ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

function sampler(flags: Flags, fallback: string) {
  const name = choice('sampler', text(flags, 'sampler') ?? fallback, SAMPLER_NAMES);
  return createSampler(name, optionalInteger(flags, 'seed', SEED_MIN));
}

function searchSpace(json: string | undefined): Record<string, Distribution> {
  if (json === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new InvalidArgumentError(`Expected JSON for \`--search-space\` but it does not parse: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('--search-space', 'a JSON object of distributions', raw);
  return Object.fromEntries(Object.entries(raw).map(([name, d]) => [name, distributionFrom(`--search-space.${name}`, d)]));
}

/** The direction flags as createStudy options; with neither, the study default (minimize). */
function directions(flags: Flags): { direction?: 'minimize' | 'maximize'; directions?: ('minimize' | 'maximize')[] } {
  const one = text(flags, 'direction');
  const many = list(flags, 'directions');
  if (one !== undefined && many.length > 0) throw new InvalidArgumentError('Pass either `--direction` or `--directions`, not both');
  if (one !== undefined) return { direction: choice('direction', one, DIRECTIONS) };
  return many.length > 0 ? { directions: many.map((d) => choice('directions', d, DIRECTIONS)) } : {};
}

/** `--values` as numbers (one value as a number, several as an array) or `--state`. */
function tellResult(flags: Flags): number | number[] | 'PRUNED' | 'FAIL' {
  const values = list(flags, 'values').map((v) => decimal('values', v));
  const state = text(flags, 'state');
  if (values.length > 0 && state !== undefined) throw new InvalidArgumentError('Pass either `--values` or `--state`, not both');
  if (state !== undefined) return choice('state', state, ['PRUNED', 'FAIL'] as const);
  if (values.length === 0) throw new InvalidArgumentError('Pass `--values` or `--state`');
  return values.length === 1 ? values[0]! : values;
}

/**
 * The library fails a trial told the wrong number of values, as it would an objective that returned
 * them; on the command line that is a typing mistake, refused before the trial is touched.
 */
function checkValueCount(result: ReturnType<typeof tellResult>, objectives: number): void {
  if (typeof result === 'string') return;
  const given = typeof result === 'number' ? 1 : result.length;
  if (given === objectives) return;
  const s = objectives === 1 ? '' : 's';
  throw new InvalidArgumentError(`Expected ${objectives} value${s} for \`--values\` (the study has ${objectives} objective${s}) but received ${given}`);
}

function writeOut(path: string, data: string): void {
  try {
    writeFileSync(path, data);
  } catch (err) {
    throw new IOError(`Cannot write \`--out\` file ${JSON.stringify(path)}: ${ioReason(err)}`);
  }
}

const demo: Command = {
  flags: ['n-trials', 'study-name', 'sampler', 'seed'],
  async run(flags, { storage, out }) {
    const seed = optionalInteger(flags, 'seed', SEED_MIN) ?? 0;
    const nTrials = optionalInteger(flags, 'n-trials', 1) ?? 60;
    const studyName = text(flags, 'study-name') ?? 'demo';
    const objective = makeDemoObjective(seed);  // reads the data first: a missing file leaves no empty study behind
    const study = await createStudy({ studyName, storage, sampler: sampler(flags, 'default'), loadIfExists: true });
    const t0 = Date.now();
    const before = study.trials.length;
    await study.optimize(objective, { nTrials, showProgressBar: true });
    const ran = study.trials.length - before;
    const best = study.bestTrial;
    const failed = study.trials.filter((t) => t.state === TrialState.FAIL).length;
    out(
      `Study "${studyName}" on ${study.storage.url} with ${study.sampler.constructor.name}: ${ran} trials in ` +
        `${((Date.now() - t0) / 1000).toFixed(1)} s (${study.trials.length} in total, ${failed} failed${failed > 0 ? ': training diverged' : ''})`,
    );
    out(`Best trial #${best.number}: validation log-loss ${best.values![0]!.toFixed(5)}`);
    out(`  params ${JSON.stringify(best.params)}`);
  },
};

const createStudyCommand: Command = {
  flags: ['study-name', 'direction', 'directions', 'skip-if-exists'],
  async run(flags, { storage, out }) {
    const studyName = required(flags, 'study-name');
    const study = await createStudy({ studyName, storage, ...directions(flags), loadIfExists: bool(flags, 'skip-if-exists') });
    out(study.studyName);
  },
};

const deleteStudyCommand: Command = {
  flags: ['study-name'],
  async run(flags, { storage }) {
    await deleteStudy({ studyName: required(flags, 'study-name'), storage: existing(storage) });
  },
};

const studies: Command = {
  flags: [],
  async run(_, { storage, out }) {
    const file = sqliteFile(storage);
    if (file !== null && !existsSync(file)) {
      out(`No studies: ${JSON.stringify(file)} does not exist (\`--storage\` picks another database)`);
      return;
    }
    const rows = [['NAME', 'DIRECTIONS', 'TRIALS', 'BEST', 'STARTED']];
    for (const s of await getAllStudySummaries({ storage })) {
      rows.push([s.studyName, s.directions.join(','), String(s.nTrials), s.bestTrial ? formatValue(s.bestTrial) : '', s.datetimeStart?.toISOString() ?? '']);
    }
    out(table(rows));
  },
};

const trials: Command = {
  flags: ['study-name', 'format'],
  async run(flags, { storage, out }) {
    const studyName = required(flags, 'study-name');
    const format = choice('format', text(flags, 'format') ?? 'table', ['table', 'json'] as const);
    const study = await loadStudy({ studyName, storage: existing(storage) });
    if (format === 'json') {
      out(await study.exportTrials('json'));
      return;
    }
    const rows = [['NUMBER', 'STATE', 'VALUE', 'PARAMS']];
    for (const t of study.trials) rows.push([String(t.number), t.state, formatValue(t), JSON.stringify(t.params)]);
    out(table(rows));
  },
};

const best: Command = {
  flags: ['study-name'],
  async run(flags, { storage, out }) {
    const study = await loadStudy({ studyName: required(flags, 'study-name'), storage: existing(storage) });
    const show = (t: FrozenTrial) => ({ number: t.number, values: t.values, params: t.params, userAttrs: t.userAttrs });
    out(JSON.stringify(study.isMultiObjective ? study.bestTrials.map(show) : show(study.bestTrial), null, 2));
  },
};

const exportCommand: Command = {
  flags: ['study-name', 'format', 'out'],
  async run(flags, { storage, out }) {
    const studyName = required(flags, 'study-name');
    const format = choice('format', required(flags, 'format'), ['csv', 'json', 'optuna-journal'] as const);
    const file = text(flags, 'out');
    if (format === 'optuna-journal') {
      // A journal is a file Optuna opens, appended to when it holds other studies: never stdout.
      if (file === undefined) throw new InvalidArgumentError('Pass `--out FILE` with `--format optuna-journal`');
      await exportOptunaJournal({ storage: existing(storage), studyName }, file);
      return;
    }
    const study = await loadStudy({ studyName, storage: existing(storage) });
    const data = await study.exportTrials(format);
    if (file !== undefined) writeOut(file, data);
    else out(data.endsWith('\n') ? data.slice(0, -1) : data);
  },
};

const ask: Command = {
  flags: ['study-name', 'search-space', 'sampler', 'seed'],
  async run(flags, { storage, out }) {
    const studyName = required(flags, 'study-name');
    const space = searchSpace(text(flags, 'search-space'));
    const chosen = sampler(flags, 'random');
    const study = await loadStudy({ studyName, storage: existing(storage), sampler: chosen });
    const trial = await study.ask(space);
    out(JSON.stringify({ number: trial.number, params: trial.params }));
  },
};

const tell: Command = {
  flags: ['study-name', 'trial-number', 'values', 'state'],
  async run(flags, { storage, out }) {
    const studyName = required(flags, 'study-name');
    const number = integer('trial-number', required(flags, 'trial-number'), 0);
    const result = tellResult(flags);
    const study = await loadStudy({ studyName, storage: existing(storage) });
    checkValueCount(result, study.directions.length);
    const t = await study.tell(number, result);
    out(JSON.stringify({ number: t.number, state: t.state, values: t.values }));
  },
};

export const COMMANDS: Readonly<Record<string, Command>> = {
  demo,
  'create-study': createStudyCommand,
  'delete-study': deleteStudyCommand,
  studies,
  trials,
  best,
  export: exportCommand,
  import: importCommand,
  ask,
  tell,
  worker,
  plot: plotCommand,
  dashboard,
  automl: automlCommand,
  predict: predictCommand,
};
