/**
 * The `tunable` command line, as a function of its arguments (the executable is ./main.ts). Every
 * failure is one line `tunable: <CODE>: <message>` on stderr and a documented exit code; the stack
 * trace only with TUNABLE_DEBUG=1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, TunableError } from '../errors.js';
import { packageRoot } from '../util/paths.js';
import { parseFlags, text } from './args.js';
import { COMMANDS } from './commands.js';
import { SAMPLER_NAMES } from './samplers.js';

export const EXIT_OK = 0;
/** The operation failed: storage, a study or trial not found, a file not writable, an unexpected error. */
export const EXIT_FAILURE = 1;
/** Bad usage or input: unknown command or flag, a missing or malformed value. */
export const EXIT_USAGE = 2;

const DEFAULT_STORAGE = 'sqlite:./tunable.db';

export const USAGE = `tunable — hyperparameter optimisation for Node.js

Usage: tunable <command> [options]      (--storage URL defaults to ${DEFAULT_STORAGE})
       tunable --help | --version

Commands:
  demo          [--n-trials 60] [--study-name demo] [--sampler NAME] [--seed N]
                tune a logistic regression on the breast-cancer data and print the best trial
  create-study  --study-name NAME [--direction minimize|maximize | --directions D D ...] [--skip-if-exists]
  delete-study  --study-name NAME
  studies       list studies
  trials        --study-name NAME [--format table|json]
  best          --study-name NAME                    best trial as JSON (Pareto front for several objectives)
  export        --study-name NAME --format csv|json|optuna-journal [--out FILE]
                optuna-journal: an Optuna 3.1 journal file (--out required; appended to if it exists)
  import        --from optuna-journal FILE [--study-name NAME] | --from optuna-rdb URL --study-name NAME
                studies Optuna wrote, into --storage under their own names (tunable import --help)
  ask           --study-name NAME [--search-space JSON] [--sampler NAME] [--seed N]
                start a trial; prints {"number", "params"} as JSON
  tell          --study-name NAME --trial-number N (--values V [V ...] | --state PRUNED|FAIL)
  worker        --study-name NAME [--n-trials N] [--timeout S] [--grace-period S] [--max-retry N] MODULE
                run the objective exported by MODULE on an existing study until stopped (tunable worker --help)
  plot          KIND --study-name NAME --out FILE.html|.svg|.png [--objective I] [--params a,b] [--param P] [--log]
                one chart: history, importance, parallel, contour, slice, intermediate, pareto (tunable plot --help)
  dashboard     [--host 127.0.0.1] [--port 8080] [--open]
                serve a read-only web dashboard of the studies until stopped (tunable dashboard --help)
  automl        DATA.csv --target COL [--task classification|regression] [--metric M] [--time-budget 300]
                [--seed 0] [--study-name S] [--save DIR] [--report FILE.md|.html] [--learners a,b]
                search preprocessing, model and hyperparameters; refit, test, save (tunable automl --help)
  predict       DIR DATA.csv [--out predictions.csv] [--probabilities]
                predict with a pipeline saved by automl --save (tunable predict --help)

Numbers are decimal (-1.5, 2e-3); a value that starts with "-" may also be written --flag=-value.
Samplers: ${SAMPLER_NAMES.join(', ')}
Search space JSON: {"x": {"type": "float", "low": 0, "high": 1, "log": false, "step": null},
                    "n": {"type": "int", "low": 1, "high": 8}, "c": {"type": "categorical", "choices": ["a", "b"]}}

Exit status:
  ${EXIT_OK}  success
  ${EXIT_FAILURE}  the operation failed (storage error, study or trial not found, file not writable, no completed trial yet)
  ${EXIT_USAGE}  bad usage or input (unknown command or option, missing or malformed value)
  130, 143  \`worker\` stopped by a second SIGINT or SIGTERM (its running trial failed)
Errors print one line "tunable: <CODE>: <message>" on stderr; TUNABLE_DEBUG=1 adds the stack trace.`;

export interface Io {
  /** Writes `text` and a newline to stdout. */
  readonly out: (text: string) => void;
  /** Writes `text` and a newline to stderr. */
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** Messages may quote user input with newlines in it; the report stays on one line. */
function oneLine(message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Prints `err` as one line and returns the exit code for it. */
export function report(err: unknown, io: Pick<Io, 'err' | 'env'>): number {
  const debug = io.env['TUNABLE_DEBUG'] !== undefined && io.env['TUNABLE_DEBUG'] !== '' && io.env['TUNABLE_DEBUG'] !== '0';
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof TunableError) {
    io.err(`tunable: ${err.code}: ${oneLine(message)}`);
  } else {
    io.err(`tunable: ${oneLine(message)} (unexpected; set TUNABLE_DEBUG=1 for the stack trace)`);
  }
  if (debug && err instanceof Error && err.stack !== undefined) io.err(err.stack);
  return err instanceof InvalidArgumentError ? EXIT_USAGE : EXIT_FAILURE;
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(USAGE);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return EXIT_OK;
  }
  if (name === '--version') {
    io.out(version());
    return EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    throw new InvalidArgumentError(`Unknown command ${JSON.stringify(name)}; the commands are ${Object.keys(COMMANDS).join(', ')} (see tunable --help)`);
  }
  const flags = parseFlags(name, rest, command.flags);
  if (flags.has('help')) {
    io.out(command.help ?? USAGE);
    return EXIT_OK;
  }
  return (await command.run(flags, { storage: text(flags, 'storage') ?? DEFAULT_STORAGE, out: io.out })) ?? EXIT_OK;
}

/** Runs one command line; resolves to the exit code and never rejects. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    return report(err, io);
  }
}
