/**
 * A `model.fit` callback that reports a monitored metric to a trial after every epoch and stops
 * training when the study's pruner prunes the trial.
 *
 * The pattern (the callback never throws TrialPruned itself, see below):
 *
 *   const cb = pruningCallback(trial, { monitor: 'val_acc' });
 *   await model.fit(xs, ys, { epochs: 30, validationData: [vx, vy], callbacks: [cb] });
 *   cb.throwIfPruned();            // throws TrialPruned when the pruner stopped training
 *   return lastValue;
 *
 * Why stop-then-throw: throwing out of a callback aborts fit() between its bookkeeping steps (the
 * epoch's metric tensors and the History are left half-done). Setting `model.stopTraining` lets fit()
 * finish the epoch and clean up; the objective then throws TrialPruned and the study records PRUNED.
 *
 * The callback is an instance of the user's own tfjs `Callback` class (the `tf` option, else the instance
 * of useTf()/loadTf(), else the project's @tensorflow/tfjs): fit() only recognises callbacks of its own
 * copy, and wraps anything else in a CustomCallback that calls our methods with the wrong `this`.
 *
 * Steps are tfjs's epoch indices (0-based, as in Keras and Optuna's Keras callback): after the k-th
 * epoch the value is reported at step k-1; with `initialEpoch` the steps continue from there.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { InvalidArgumentError, TrialPruned } from '../errors.js';
import type { Trial } from '../study/trial.js';
import { options, string } from '../validate.js';
import { tfFor, type TfModule } from './instance.js';

/** The monitored key is absent from the epoch logs (a typo, or no validation data was given). */
export class MonitorKeyError extends InvalidArgumentError {
  readonly monitor: string;
  readonly available: readonly string[];
  constructor(monitor: string, available: readonly string[]) {
    const hint = monitor.startsWith('val_') && !available.some((k) => k.startsWith('val_')) ? ' (validation metrics need `validationData` or `validationSplit` in fit())' : '';
    super(
      `The monitored metric ${JSON.stringify(monitor)} is not in the epoch logs; ` +
        `available: ${available.length > 0 ? available.map((k) => JSON.stringify(k)).join(', ') : 'none'}${hint}`,
    );
    this.monitor = monitor;
    this.available = Object.freeze([...available]);
  }
}

export interface PruningCallbackOptions {
  /** The epoch-log key to report: "val_acc", "val_loss", "acc", "loss", ... */
  monitor: string;
  /** The TensorFlow.js instance whose `model.fit()` runs the callback (default: see the module comment). */
  tf?: TfModule;
}

/** A tfjs `Callback` of the chosen instance that reports epochs to a trial (see the module comment). */
export interface PruningCallback extends tfTypes.Callback {
  readonly trial: Trial;
  readonly monitor: string;
  /** Epochs that ended while this callback was attached (the training cost actually spent). */
  readonly epochsRun: number;
  /** Whether training was stopped because the trial was pruned (or its metric became non-finite). */
  readonly pruned: boolean;
  /** The epoch index after which training was stopped, or null. */
  readonly prunedAtEpoch: number | null;
  /** The monitored value of the last epoch (null before the first one ends). */
  readonly lastValue: number | null;
  /** Throws TrialPruned when training was stopped by the pruner; call it after fit() returned. */
  throwIfPruned(): void;
}

/** `new PruningCallback(trial, opts)` (the same as pruningCallback()) and `x instanceof PruningCallback`. */
export interface PruningCallbackConstructor {
  new (trial: Trial, opts: PruningCallbackOptions): PruningCallback;
  [Symbol.hasInstance](value: unknown): boolean;
}

/** Logs as tfjs hands them to callbacks: numbers, or scalars not yet read back. */
type EpochLogs = Record<string, number | tfTypes.Scalar>;

type CallbackClass = new (trial: Trial, monitor: string) => PruningCallback;

/** One subclass per tfjs copy, keyed by that copy's Callback class. */
const classes = new WeakMap<object, CallbackClass>();
/** Every callback this module made, whichever copy's class it is an instance of. */
const made = new WeakSet<object>();

function callbackClass(tf: TfModule): CallbackClass {
  const cached = classes.get(tf.Callback);
  if (cached !== undefined) return cached;
  class Impl extends tf.Callback implements PruningCallback {
    readonly trial: Trial;
    readonly monitor: string;
    private epochs = 0;
    private prunedEpoch: number | null = null;
    private stopReason: string | null = null;
    private last: number | null = null;

    constructor(trial: Trial, monitor: string) {
      super();
      this.trial = trial;
      this.monitor = monitor;
      made.add(this);
    }

    get epochsRun(): number {
      return this.epochs;
    }

    get pruned(): boolean {
      return this.prunedEpoch !== null;
    }

    get prunedAtEpoch(): number | null {
      return this.prunedEpoch;
    }

    get lastValue(): number | null {
      return this.last;
    }

    override async onEpochEnd(epoch: number, logs?: EpochLogs): Promise<void> {
      // fit() of another tfjs copy does not take this for a Callback: it wraps the object in its own
      // CustomCallback and calls this method on the wrapper, where none of the fields exist.
      if (!made.has(this)) {
        throw new InvalidArgumentError(
          'pruningCallback was created with a different copy of TensorFlow.js than the model being fitted; ' +
            'pass the instance the model comes from: pruningCallback(trial, { monitor, tf }) or useTf(tf)',
        );
      }
      this.epochs++;
      const raw = logs?.[this.monitor];
      if (raw === undefined) throw new MonitorKeyError(this.monitor, Object.keys(logs ?? {}));
      // Read without disposing: the same tensor is read again by fit()'s History afterwards.
      const value = typeof raw === 'number' ? raw : (await raw.data())[0]!;
      this.last = value;
      if (!Number.isFinite(value)) {
        // A diverged model (NaN loss) cannot be reported (trial.report refuses non-finite values) and
        // cannot recover; Optuna's pruners prune NaN as the worst value, so it is treated as pruned.
        this.stop(epoch, `${this.monitor} became ${value} at epoch ${epoch}`);
        return;
      }
      this.trial.report(value, epoch);
      if (await this.trial.shouldPrune()) this.stop(epoch, `pruned at epoch ${epoch} (${this.monitor} = ${value})`);
    }

    throwIfPruned(): void {
      if (this.stopReason !== null) throw new TrialPruned(`Trial ${this.trial.number} ${this.stopReason}`);
    }

    private stop(epoch: number, reason: string): void {
      this.prunedEpoch = epoch;
      this.stopReason = reason;
      this.model.stopTraining = true;
    }
  }
  Object.defineProperty(Impl, 'name', { value: 'PruningCallback' });
  classes.set(tf.Callback, Impl);
  return Impl;
}

/** A callback for `model.fit({ callbacks: [...] })`; see the module comment for the full pattern. */
export function pruningCallback(trial: Trial, opts: PruningCallbackOptions): PruningCallback {
  const o = options<PruningCallbackOptions>('pruningCallback options', opts, ['monitor', 'tf']);
  const monitor = string('monitor', o.monitor);
  const tf = tfFor('pruningCallback', o.tf);
  return new (callbackClass(tf))(trial, monitor);
}

// A function, not a class: the base class is only known once the tfjs instance is (a constructor that
// returns an object makes `new` yield that object).
export const PruningCallback = function PruningCallback(trial: Trial, opts: PruningCallbackOptions): PruningCallback {
  return pruningCallback(trial, opts);
} as unknown as PruningCallbackConstructor;
Object.defineProperty(PruningCallback, Symbol.hasInstance, { value: (value: unknown) => typeof value === 'object' && value !== null && made.has(value) });
