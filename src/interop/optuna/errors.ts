/** The errors of Optuna interop: bad input files, and what one side cannot represent of the other. */
import { InvalidArgumentError } from '../../errors.js';

/**
 * A journal or database that is not what Optuna 3.1 writes: a line that does not parse (a corrupt or
 * truncated file), a record without its fields, an op code or schema version this reader does not know.
 * `line` is 1-based (null for a database).
 */
export class OptunaFormatError extends InvalidArgumentError {
  readonly source: string;
  readonly line: number | null;
  constructor(source: string, line: number | null, message: string) {
    super(`Invalid Optuna data in ${JSON.stringify(source)}${line === null ? '' : ` at line ${line}`}: ${message}`);
    this.source = source;
    this.line = line;
  }
}

/**
 * A value that one side has and the other cannot store as it is (a parameter of an unknown distribution
 * class, a NaN intermediate value, a step Optuna would move `high` for): refused, never changed silently.
 * `trial` is the trial number (null for the study itself), `param` the parameter or field it concerns.
 */
export class NotRepresentableError extends InvalidArgumentError {
  readonly study: string;
  readonly trial: number | null;
  readonly param: string | null;
  constructor(study: string, trial: number | null, param: string | null, message: string) {
    const where = `study ${JSON.stringify(study)}${trial === null ? '' : `, trial ${trial}`}${param === null ? '' : `, ${JSON.stringify(param)}`}`;
    super(`Cannot carry ${where} over: ${message}`);
    this.study = study;
    this.trial = trial;
    this.param = param;
  }
}
