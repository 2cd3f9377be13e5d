/**
 * Trial states (as Optuna's trial/_state.py). A trial is WAITING (enqueued), then RUNNING, then exactly
 * one of the finished states, after which it never changes.
 */
export enum TrialState {
  RUNNING = 'RUNNING',
  COMPLETE = 'COMPLETE',
  PRUNED = 'PRUNED',
  FAIL = 'FAIL',
  WAITING = 'WAITING',
}

export const FINISHED_STATES: readonly TrialState[] = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL];

export function isFinished(state: TrialState): boolean {
  return FINISHED_STATES.includes(state);
}
