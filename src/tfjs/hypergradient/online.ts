/**
 * Online hypergradient descent on the learning rate (Baydin et al. 2018), around any `tf.train`
 * optimiser whose step is proportional to its learning rate (sgd, momentum, adam, adamax, rmsprop,
 * adagrad): the step just taken was Δθ_{t−1} = α_{t−1} u_{t−1}, so the training loss after it changes
 * with log α_{t−1} as ∂f(θ_t)/∂log α_{t−1} = ⟨∇f(θ_t), Δθ_{t−1}⟩ (the optimiser's state is held fixed, as
 * in the paper). Measuring Δθ instead of re-deriving u keeps one rule for every optimiser. The rate moves
 * multiplicatively, by the cosine of the two vectors (the normalised form of the rule), so β is the
 * largest change of log α in one step whatever the scale of the gradients:
 *   log α_t = clip(log α_{t−1} − β cos(∇f(θ_t), Δθ_{t−1}), log low, log high).
 * Successive gradients that agree (the rate is too small) raise it; gradients that flip (oscillation,
 * the start of divergence) lower it.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { boolean, invalid, options, positiveNumber } from '../../validate.js';
import { tfFor, type TfModule } from '../instance.js';

type Tensor = tfTypes.Tensor;

export interface OnlineLearningRateOptions {
  /** Largest change of log α per step (default 0.02). */
  readonly beta?: number;
  /** Bounds of the rate (default 1e-6, 10). */
  readonly low?: number;
  readonly high?: number;
  /** Leave the rate as it is (only measure the hypergradients): default false. */
  readonly frozen?: boolean;
  readonly tf?: TfModule;
}

const KEYS = ['beta', 'low', 'high', 'frozen', 'tf'] as const;

interface RateOptimizer {
  learningRate: number;
  setLearningRate?: (lr: number) => void;
  applyGradients(grads: tfTypes.NamedTensorMap): void;
}

/**
 * `new OnlineLearningRate(optimizer, options?)`; then `step(grads)` in place of
 * `optimizer.applyGradients(grads)` (grads keyed by variable name, as `optimizer.computeGradients()` and
 * `tf.variableGrads()` give them). `dispose()` frees the copy of the last update.
 */
export class OnlineLearningRate {
  readonly beta: number;
  readonly low: number;
  readonly high: number;
  readonly frozen: boolean;
  /** Non-finite hypergradients met (the rate was left as it was). */
  skippedSteps = 0;
  /** The last hypergradient ∂f/∂log α (NaN before the second step). */
  lastHypergradient = NaN;
  private readonly tf: TfModule;
  private readonly opt: RateOptimizer;
  private previous: Map<string, Tensor> | null = null;

  constructor(optimizer: tfTypes.Optimizer, opts?: OnlineLearningRateOptions) {
    const o = options<OnlineLearningRateOptions>('onlineLearningRate options', opts, KEYS);
    this.tf = tfFor('OnlineLearningRate', o.tf);
    const opt = optimizer as unknown as RateOptimizer;
    if (optimizer === null || typeof optimizer !== 'object' || typeof opt.applyGradients !== 'function' || typeof opt.learningRate !== 'number') {
      throw invalid('optimizer', 'a tf.train optimiser with a learning rate (sgd, momentum, adam, adamax, rmsprop, adagrad)', optimizer);
    }
    this.opt = opt;
    this.beta = o.beta === undefined ? 0.02 : positiveNumber('beta', o.beta);
    this.low = o.low === undefined ? 1e-6 : positiveNumber('low', o.low);
    this.high = o.high === undefined ? 10 : positiveNumber('high', o.high);
    this.frozen = o.frozen === undefined ? false : boolean('frozen', o.frozen);
    if (!(this.low < this.high)) throw invalid('high', `a number above low (${this.low})`, this.high);
  }

  get learningRate(): number {
    return this.opt.learningRate;
  }

  set learningRate(lr: number) {
    const v = Math.min(this.high, Math.max(this.low, lr));
    if (typeof this.opt.setLearningRate === 'function') this.opt.setLearningRate(v);
    else this.opt.learningRate = v;
  }

  /** Adapts the rate from `grads` and the previous update, then applies `grads`; returns the hypergradient. */
  step(grads: tfTypes.NamedTensorMap): number {
    const tf = this.tf;
    const names = Object.keys(grads);
    const vars = names.map((n) => {
      const v = tf.engine().registeredVariables[n];
      if (v === undefined) throw invalid(`grads.${n}`, 'the gradient of a registered variable', grads[n]);
      return v;
    });
    let h = NaN;
    if (this.previous !== null) {
      const prev = this.previous;
      const [dot, cos] = tf.tidy(() => {
        const parts = names.filter((n) => prev.has(n));
        const d = tf.addN(parts.map((n) => tf.sum(tf.mul(grads[n]!, prev.get(n)!))));
        const ng = tf.sqrt(tf.addN(parts.map((n) => tf.sum(tf.square(grads[n]!)))));
        const np = tf.sqrt(tf.addN(parts.map((n) => tf.sum(tf.square(prev.get(n)!)))));
        return [d, tf.div(d, tf.mul(ng, np))];
      });
      h = dot.dataSync()[0]!;
      const c = cos.dataSync()[0]!;
      tf.dispose([dot, cos]);
      this.lastHypergradient = h;
      if (!Number.isFinite(h) || !Number.isFinite(c)) this.skippedSteps++;
      else if (!this.frozen) this.learningRate = Math.exp(Math.log(this.learningRate) - this.beta * c);
    }
    const before = vars.map((v) => v.clone());
    this.opt.applyGradients(grads);
    this.release();
    this.previous = new Map(names.map((n, i) => [n, tf.tidy(() => tf.sub(vars[i]!, before[i]!))]));
    tf.dispose(before);
    return h;
  }

  private release(): void {
    if (this.previous !== null) for (const t of this.previous.values()) t.dispose();
    this.previous = null;
  }

  dispose(): void {
    this.release();
  }
}
