#!/usr/bin/env node
/**
 * The `tunable` command line. Every command takes `--storage` (default `sqlite:./tunable.db`).
 * Errors print `tunable: <CODE>: <message>` and exit with 2 (bad input) or 1 (anything else).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { deserializeDistribution, type Distribution } from '../distributions/index.js';
import { InvalidArgumentError, TunableError } from '../errors.js';
import { createStudy, deleteStudy, getAllStudySummaries, loadStudy } from '../study/study.js';
import { TrialState, type FrozenTrial } from '../study/types.js';
import { createSampler, SAMPLER_NAMES } from './samplers.js';
import { makeDemoObjective } from './demo.js';

const DEFAULT_STORAGE = 'sqlite:./tunable.db';

const USAGE = `tunable — hyperparameter optimisation for Node.js

Usage: tunable <command> [options]      (--storage URL defaults to ${DEFAULT_STORAGE})

Commands:
  demo          [--n-trials 60] [--study-name demo] [--sampler NAME] [--seed N]
                tune a logistic regression on the breast-cancer data and print the best trial
  create-study  --study-name NAME [--direction minimize|maximize | --directions D D ...] [--skip-if-exists]
  delete-study  --study-name NAME
  studies       list studies
  trials        --study-name NAME [--format table|json]
  best          --study-name NAME                    best trial as JSON (Pareto front for several objectives)
  export        --study-name NAME --format csv|json [--out FILE]
  ask           --study-name NAME [--search-space JSON] [--sampler NAME] [--seed N]
                start a trial; prints {"number", "params"} as JSON
  tell          --study-name NAME --trial-number N (--values V [V ...] | --state PRUNED|FAIL)

Samplers: ${SAMPLER_NAMES.join(', ')}
Search space JSON: {"x": {"type": "float", "low": 0, "high": 1, "log": false, "step": null},
                    "n": {"type": "int", "low": 1, "high": 8}, "c": {"type": "categorical", "choices": ["a", "b"]}}`;

const OPTIONS = {
  storage: { type: 'string' },
  'study-name': { type: 'string' },
  direction: { type: 'string' },
  directions: { type: 'string', multiple: true },
  'skip-if-exists': { type: 'boolean' },
  format: { type: 'string' },
  out: { type: 'string' },
  'search-space': { type: 'string' },
  sampler: { type: 'string' },
  seed: { type: 'string' },
  'trial-number': { type: 'string' },
  values: { type: 'string', multiple: true },
  state: { type: 'string' },
  'n-trials': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

type Flags = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K] extends { type: 'boolean' } ? boolean : string };

function need(flags: Flags, name: keyof Flags): string {
  const v = flags[name];
  if (typeof v !== 'string' || v.length === 0) throw new InvalidArgumentError(`Missing --${name}`);
  return v;
}

function num(name: string, s: string | undefined, fallback?: number): number {
  if (s === undefined) {
    if (fallback === undefined) throw new InvalidArgumentError(`Missing --${name}`);
    return fallback;
  }
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`Expected a number for \`--${name}\` but received ${JSON.stringify(s)}`);
  return v;
}

/** Multi-value flags accept both `--values 1 --values 2` and `--values 1 2` (the extra ones arrive as positionals). */
function multi(flags: Flags, name: 'values' | 'directions', positionals: string[]): string[] {
  return [...(flags[name] ?? []), ...positionals];
}

function formatValue(t: FrozenTrial): string {
  return t.values === null ? '' : t.values.map((v) => v.toPrecision(6)).join(', ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

async function run(argv: string[]): Promise<number> {
  const command = argv[0];
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv.slice(1), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}\n\n${USAGE}`);
  }
  const flags = parsed.values as Flags;
  const positionals = parsed.positionals;
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const storage = flags.storage ?? DEFAULT_STORAGE;

  switch (command) {
    case 'demo': {
      const seed = num('seed', flags.seed, 0);
      const nTrials = num('n-trials', flags['n-trials'], 60);
      const studyName = flags['study-name'] ?? 'demo';
      const study = await createStudy({ studyName, storage, sampler: createSampler(flags.sampler ?? 'default', seed), loadIfExists: true });
      const t0 = Date.now();
      const before = study.trials.length;
      await study.optimize(makeDemoObjective(seed), { nTrials, showProgressBar: true });
      const ran = study.trials.length - before;
      const best = study.bestTrial;
      const failed = study.trials.filter((t) => t.state === TrialState.FAIL).length;
      console.log(`Study "${studyName}" on ${storage} with ${study.sampler.constructor.name}: ${ran} trials in ` +
        `${((Date.now() - t0) / 1000).toFixed(1)} s (${study.trials.length} in total, ${failed} failed${failed > 0 ? ': training diverged' : ''})`);
      console.log(`Best trial #${best.number}: validation log-loss ${best.values![0]!.toFixed(5)}`);
      console.log(`  params ${JSON.stringify(best.params)}`);
      return 0;
    }
    case 'create-study': {
      const studyName = need(flags, 'study-name');
      const dirs = multi(flags, 'directions', positionals);
      const study = await createStudy({
        studyName,
        storage,
        ...(dirs.length > 0 ? { directions: dirs as ('minimize' | 'maximize')[] } : {}),
        ...(flags.direction !== undefined ? { direction: flags.direction as 'minimize' } : {}),
        loadIfExists: flags['skip-if-exists'] === true,
      });
      console.log(study.studyName);
      return 0;
    }
    case 'delete-study':
      await deleteStudy({ studyName: need(flags, 'study-name'), storage });
      return 0;
    case 'studies': {
      const all = await getAllStudySummaries({ storage });
      const rows = [['NAME', 'DIRECTIONS', 'TRIALS', 'BEST', 'STARTED']];
      for (const s of all) {
        rows.push([s.studyName, s.directions.join(','), String(s.nTrials), s.bestTrial ? formatValue(s.bestTrial) : '', s.datetimeStart?.toISOString() ?? '']);
      }
      console.log(table(rows));
      return 0;
    }
    case 'trials': {
      const study = await loadStudy({ studyName: need(flags, 'study-name'), storage });
      if ((flags.format ?? 'table') === 'json') {
        console.log(await study.exportTrials('json'));
        return 0;
      }
      const rows = [['NUMBER', 'STATE', 'VALUE', 'PARAMS']];
      for (const t of study.trials) rows.push([String(t.number), t.state, formatValue(t), JSON.stringify(t.params)]);
      console.log(table(rows));
      return 0;
    }
    case 'best': {
      const study = await loadStudy({ studyName: need(flags, 'study-name'), storage });
      const show = (t: FrozenTrial) => ({ number: t.number, values: t.values, params: t.params, userAttrs: t.userAttrs });
      console.log(JSON.stringify(study.isMultiObjective ? study.bestTrials.map(show) : show(study.bestTrial), null, 2));
      return 0;
    }
    case 'export': {
      const study = await loadStudy({ studyName: need(flags, 'study-name'), storage });
      const format = need(flags, 'format');
      if (format !== 'csv' && format !== 'json') throw new InvalidArgumentError(`Expected "csv" or "json" for \`--format\` but received ${JSON.stringify(format)}`);
      const text = (await study.exportTrials(format)) as string;
      if (flags.out !== undefined) writeFileSync(flags.out, text);
      else process.stdout.write(text.endsWith('\n') ? text : text + '\n');
      return 0;
    }
    case 'ask': {
      const seed = flags.seed === undefined ? undefined : num('seed', flags.seed);
      const study = await loadStudy({ studyName: need(flags, 'study-name'), storage, sampler: createSampler(flags.sampler ?? 'random', seed) });
      let space: Record<string, Distribution> = {};
      if (flags['search-space'] !== undefined) {
        let raw: unknown;
        try {
          raw = JSON.parse(flags['search-space']);
        } catch (err) {
          throw new InvalidArgumentError(`Expected JSON for \`--search-space\` but it does not parse: ${(err as Error).message}`);
        }
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError('Expected an object for `--search-space`');
        space = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, deserializeDistribution(JSON.stringify(v))]));
      }
      const trial = await study.ask(space);
      console.log(JSON.stringify({ number: trial.number, params: trial.params }));
      return 0;
    }
    case 'tell': {
      const study = await loadStudy({ studyName: need(flags, 'study-name'), storage });
      const number = num('trial-number', flags['trial-number']);
      const values = multi(flags, 'values', positionals);
      if (values.length > 0 && flags.state !== undefined) throw new InvalidArgumentError('Pass either --values or --state, not both');
      const result = values.length > 0 ? values.map((v) => num('values', v)) : (need(flags, 'state') as 'PRUNED' | 'FAIL');
      const t = await study.tell(number, result.length === 1 && Array.isArray(result) ? result[0]! : result);
      console.log(JSON.stringify({ number: t.number, state: t.state, values: t.values }));
      return 0;
    }
    default:
      throw new InvalidArgumentError(`Unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof TunableError) {
      console.error(`tunable: ${err.code}: ${err.message}`);
      process.exitCode = err instanceof InvalidArgumentError ? 2 : 1;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  },
);
