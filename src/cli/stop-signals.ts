/**
 * SIGINT and SIGTERM for a long-running command: the first asks it to stop gently, the second to stop
 * now; later ones are ignored (SIGKILL remains). While watched, neither signal ends the process by
 * itself, so the command decides when and with which exit code it ends.
 */
import { constants } from 'node:os';

export type StopSignal = 'SIGINT' | 'SIGTERM';

const SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

export interface StopHandlers {
  readonly first: (signal: StopSignal) => void;
  readonly second: (signal: StopSignal) => void;
}

/** Calls `first` on the first SIGINT or SIGTERM and `second` on the next one; returns the function that stops watching. */
export function watchStopSignals(handlers: StopHandlers): () => void {
  let received = 0;
  const on = (signal: StopSignal): void => {
    received++;
    if (received === 1) handlers.first(signal);
    else if (received === 2) handlers.second(signal);
  };
  for (const s of SIGNALS) process.on(s, on);
  return () => {
    for (const s of SIGNALS) process.off(s, on);
  };
}

/** The exit code of a command stopped by `signal`, as a shell reports one killed by it: 128 + its number (130, 143). */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/**
 * Ends the process shortly after the command has settled (with the exit code it set) even when code it
 * ran and gave up on (an objective past its grace period) still holds timers or sockets. `unref`: a
 * process with nothing left to run ends by itself first.
 */
export function exitSoonAfter(ms: number): void {
  setTimeout(() => process.exit(), ms).unref();
}
