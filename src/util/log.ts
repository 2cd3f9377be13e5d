/**
 * The library's log: lines on stderr at a level set by `setLogLevel` or the environment variable
 * `TUNABLE_LOG` (`debug`, `info`, `warning`, `error`, `silent`), as Optuna's `set_verbosity`. The
 * default, here and nowhere else, is `info`: the optimize loop writes one line per finished trial.
 * Warnings proper (deprecations, fallbacks) go through `process.emitWarning` (warn.ts).
 */
import { InvalidArgumentError } from '../errors.js';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'silent';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warning', 'error', 'silent'];
const DEFAULT_LEVEL: LogLevel = 'info';
const TAG: Record<Exclude<LogLevel, 'silent'>, string> = { debug: 'D', info: 'I', warning: 'W', error: 'E' };

let level: LogLevel | null = null;

function fromEnvironment(): LogLevel {
  const v = process.env['TUNABLE_LOG'];
  if (v === undefined || v === '') return DEFAULT_LEVEL;
  const l = v.trim().toLowerCase();
  if ((LEVELS as readonly string[]).includes(l)) return l as LogLevel;
  process.emitWarning(`TUNABLE_LOG=${JSON.stringify(v)} is not one of ${LEVELS.join(', ')}; using "${DEFAULT_LEVEL}"`, {
    type: 'TunableWarning',
    code: 'TUNABLE_LOG_LEVEL',
  });
  return DEFAULT_LEVEL;
}

/** The level in force: the last `setLogLevel`, else `TUNABLE_LOG`, else `info`. */
export function getLogLevel(): LogLevel {
  level ??= fromEnvironment();
  return level;
}

/** Sets the level for this process (overrides `TUNABLE_LOG`). */
export function setLogLevel(value: LogLevel): void {
  if (typeof value !== 'string' || !(LEVELS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`Expected one of ${LEVELS.map((l) => JSON.stringify(l)).join(', ')} for \`level\` but received ${JSON.stringify(value)}`);
  }
  level = value;
}

export function isLogged(at: Exclude<LogLevel, 'silent'>): boolean {
  return LEVELS.indexOf(at) >= LEVELS.indexOf(getLogLevel());
}

/** Writes one line, `[tunable I 2026-12-07T06:30:00.000Z] message`, when `at` is at or above the level. */
export function log(at: Exclude<LogLevel, 'silent'>, message: string): void {
  if (isLogged(at)) process.stderr.write(`[tunable ${TAG[at]} ${new Date().toISOString()}] ${message}\n`);
}
