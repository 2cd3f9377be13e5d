/**
 * Typed errors. Every error tunable throws on purpose is a `TunableError` with a stable `code`;
 * messages name the argument and the value ("Expected a finite number for `low` but received NaN").
 */

export type ErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_UNKNOWN_OPTION'
  | 'ERR_PARAM_CONFLICT'
  | 'ERR_NUMERICAL'
  | 'ERR_BACKEND_UNAVAILABLE'
  | 'ERR_NATIVE'
  | 'ERR_OUT_OF_MEMORY'
  | 'ERR_STORAGE'
  | 'ERR_IO'
  | 'ERR_DUPLICATED_STUDY'
  | 'ERR_NOT_FOUND'
  | 'ERR_TRIAL_FINISHED'
  | 'ERR_TRIAL_PRUNED'
  | 'ERR_INVALID_STATE'
  | 'ERR_EXHAUSTED'
  | 'ERR_ARCHITECTURE'
  | 'ERR_POPULATION_FAILED';

export class TunableError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A wrong type, a non-finite number, inverted bounds, an empty choice list, ... */
export class InvalidArgumentError extends TunableError {
  constructor(message: string, code: ErrorCode = 'ERR_INVALID_ARGUMENT') {
    super(code, message);
  }
}

/** A misspelled or unsupported option name. */
export class UnknownOptionError extends InvalidArgumentError {
  constructor(message: string) {
    super(message, 'ERR_UNKNOWN_OPTION');
  }
}

/** The same parameter name asked again with a different distribution in one trial. */
export class ParameterConflictError extends InvalidArgumentError {
  constructor(message: string) {
    super(message, 'ERR_PARAM_CONFLICT');
  }
}

/** Numerical trouble that could not be recovered from (a non-PD matrix after every fallback, ...). */
export class NumericalError extends TunableError {
  constructor(message: string) {
    super('ERR_NUMERICAL', message);
  }
}

/** A backend (CUDA, the native addon) that was asked for but cannot be used here. */
export class BackendUnavailableError extends TunableError {
  constructor(message: string) {
    super('ERR_BACKEND_UNAVAILABLE', message);
  }
}

/** An error raised inside the native engine (a CUDA failure, an allocation failure, ...). */
export class NativeError extends TunableError {
  constructor(message: string) {
    super('ERR_NATIVE', message);
  }
}

/**
 * An allocation that failed (host memory in the native engine, or device memory where no fallback
 * applies). `bytes` is the size of the request that failed, when it is known. The process stays usable:
 * the call that failed released what it had taken.
 */
export class OutOfMemoryError extends TunableError {
  readonly bytes: number | null;
  /** Which memory ran out: the host's, or the accelerator's (backend 'auto' refits those on the CPU). */
  readonly memory: 'host' | 'device';
  constructor(message: string, bytes: number | null = null, memory: 'host' | 'device' = 'host') {
    super('ERR_OUT_OF_MEMORY', message);
    this.bytes = bytes;
    this.memory = memory;
  }
}

export class StorageError extends TunableError {
  constructor(message: string, code: ErrorCode = 'ERR_STORAGE', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A file that could not be read or written (an export's `--out`, a data file). */
export class IOError extends TunableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_IO', message, options);
  }
}

export class DuplicatedStudyError extends StorageError {
  constructor(studyName: string) {
    super(`A study named ${JSON.stringify(studyName)} already exists`, 'ERR_DUPLICATED_STUDY');
  }
}

export class NotFoundError extends StorageError {
  constructor(message: string) {
    super(message, 'ERR_NOT_FOUND');
  }
}

/** A write to a trial that is no longer RUNNING (finished, or failed as stale by another process). */
export class TrialFinishedError extends StorageError {
  constructor(message: string) {
    super(message, 'ERR_TRIAL_FINISHED');
  }
}

/** An operation that is not allowed in the current state (shouldPrune() on a finished trial, ...). */
export class InvalidStateError extends TunableError {
  constructor(message: string) {
    super('ERR_INVALID_STATE', message);
  }
}

/** Thrown by an objective to say that its trial was pruned; the study records it as PRUNED. */
export class TrialPruned extends TunableError {
  constructor(message = 'Trial was pruned') {
    super('ERR_TRIAL_PRUNED', message);
  }
}

/** The sampler has nothing left to propose (every grid point taken); the study stops. */
export class SearchSpaceExhaustedError extends TunableError {
  constructor(message: string) {
    super('ERR_EXHAUSTED', message);
  }
}

/**
 * A neural architecture that cannot be built from the choices made (a kernel longer than its input, a
 * cell whose every path is a zero op, more parameters than allowed, a layer tfjs refuses). `choice`
 * names the parameter responsible (e.g. "nas:l1:kernel"), `value` what it was set to. An objective
 * that lets it escape fails its trial, and `study.optimize` goes on to the next one.
 */
export class ArchitectureError extends InvalidArgumentError {
  readonly choice: string;
  readonly value: unknown;
  constructor(choice: string, value: unknown, message: string) {
    super(message, 'ERR_ARCHITECTURE');
    this.choice = choice;
    this.value = value;
  }
}

/**
 * Population-based training could not go on: every member failed in one interval (nothing left to copy
 * from), or more members failed than `maxFailures` allows. `failures` lists each one (member, trial
 * number, epochs, reason); the message quotes the first reason.
 */
export class PopulationFailedError extends TunableError {
  readonly failures: readonly { readonly member: number; readonly trial: number; readonly from: number; readonly to: number; readonly reason: string }[];
  constructor(message: string, failures: PopulationFailedError['failures']) {
    super('ERR_POPULATION_FAILED', message);
    this.failures = Object.freeze([...failures]);
  }
}
