/**
 * The ranking weights of RGPE (Feurer, Letham and Bakshy 2018, "Scalable meta-learning for Bayesian
 * optimization using ranking-weighted Gaussian process ensembles", §4): how far to trust each source
 * model, judged on the target's own trials only.
 *
 * Notation: n target trials with values y (n), larger is better; models 0…S−1 are the sources, model S
 * the target. For each of `samples` draws:
 * - a source model draws f (n) jointly from its posterior at the target points (mean (n), covariance
 *   (n, n));
 * - the target model draws each f_i from its leave-one-out predictive N(μ₋ᵢ, v₋ᵢ): judged on its own
 *   points without the leave-one-out it would always look perfect;
 * - its ranking loss is the number of pairs of target trials it orders wrongly, (y_a < y_b) but
 *   f_a >= f_b.
 * A model's weight is the share of draws in which its loss is the smallest. Ties among sources are split
 * at random, but a tie with the target goes to the target — a departure from the paper, which splits
 * every tie at random: a source that orders the target's trials no better than the target's own model
 * adds only its bias (its optimum is not the target's), and once the target's trials are ordered
 * perfectly by both, random ties kept pulling proposals towards the sources' optima (bench/transfer,
 * Branin with shifted optima: regret after 40 trials 4.9× a cold study's with random ties).
 * Weight dilution (§4.3): a source whose median loss is above the 95th percentile of the target's losses
 * gets no weight, even where chance made it the best in a few draws. An unrelated source orders the
 * target's trials like a coin and an adversarial one (the negated target) orders them backwards: both
 * lose to the target model and fall to ~0 as the target's trials accumulate.
 */
import { cholesky } from '../../util/cholesky.js';
import type { Rng } from '../../util/rng.js';

/** A source model's joint posterior at the n target points. */
export interface JointPosterior {
  /** (n) */
  readonly mean: ArrayLike<number>;
  /** (n, n) row-major */
  readonly covariance: ArrayLike<number>;
}

/** The target model's leave-one-out predictive at each of its n points. */
export interface LeaveOneOut {
  /** (n) */
  readonly mean: ArrayLike<number>;
  /** (n) */
  readonly variance: ArrayLike<number>;
}

export interface RankingWeights {
  /** (S + 1) the sources' weights, then the target's; they sum to 1. */
  readonly weights: Float64Array;
  /** (S + 1) each model's median ranking loss, as a share of the ordered pairs (0 perfect, 1 reversed). */
  readonly medianLoss: Float64Array;
}

/**
 * Leave-one-out predictive means and variances of a GP from its posterior at its own training points,
 * without refitting: with C = K + σ²I and the latent posterior (μᵢ, vᵢ) at xᵢ,
 * vᵢ = σ² − σ⁴ [C⁻¹]ᵢᵢ and μᵢ = yᵢ − σ² [C⁻¹(y − c)]ᵢ, so
 *   [C⁻¹]ᵢᵢ = (σ² − vᵢ) / σ⁴,   μ₋ᵢ = yᵢ − (yᵢ − μᵢ) σ² / (σ² − vᵢ),   v₋ᵢ = σ⁴ / (σ² − vᵢ).
 * σ² is the fitted noise; σ² − vᵢ is kept above a small share of σ² (rounding when vᵢ ≈ σ²).
 */
export function leaveOneOut(y: ArrayLike<number>, mean: ArrayLike<number>, variance: ArrayLike<number>, noise: number): LeaveOneOut {
  const n = y.length;
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const gap = Math.max(noise - variance[i]!, 1e-9 * noise);
    m[i] = y[i]! - ((y[i]! - mean[i]!) * noise) / gap;
    v[i] = (noise * noise) / gap;
  }
  return { mean: m, variance: v };
}

/** Draws from N(mean, covariance) (n): the Cholesky factor, with jitter escalated until it exists. */
class JointSampler {
  private readonly L: Float64Array;
  private readonly z: Float64Array;

  constructor(private readonly p: JointPosterior, private readonly n: number) {
    let scale = 0;
    for (let i = 0; i < n; i++) scale = Math.max(scale, p.covariance[i * n + i]!);
    const base = scale > 0 ? scale : 1;
    let L = Float64Array.from(p.covariance);
    for (let rel = 1e-10; !cholesky(L, n); rel *= 10) {
      // A posterior covariance is singular at repeated points (and rounding can make it indefinite).
      if (rel > 1) throw new Error('posterior covariance is not positive semi-definite');
      L = Float64Array.from(p.covariance);
      for (let i = 0; i < n; i++) L[i * n + i] = L[i * n + i]! + rel * base;
    }
    this.L = L;
    this.z = new Float64Array(n);
  }

  draw(rng: Rng, out: Float64Array): void {
    const { n, L, z } = this;
    for (let i = 0; i < n; i++) z[i] = rng.normal();
    for (let i = 0; i < n; i++) {
      let s = this.p.mean[i]!;
      for (let k = 0; k <= i; k++) s += L[i * n + k]! * z[k]!;
      out[i] = s;
    }
  }
}

/** Pairs (a, b) of target trials with y_a < y_b: (pairs) each. */
function orderedPairs(y: ArrayLike<number>): { lo: Int32Array; hi: Int32Array } {
  const lo: number[] = [];
  const hi: number[] = [];
  for (let a = 0; a < y.length; a++) {
    for (let b = 0; b < y.length; b++) {
      if (y[a]! < y[b]!) {
        lo.push(a);
        hi.push(b);
      }
    }
  }
  return { lo: Int32Array.from(lo), hi: Int32Array.from(hi) };
}

function rankingLoss(f: Float64Array, pairs: { lo: Int32Array; hi: Int32Array }): number {
  let loss = 0;
  for (let k = 0; k < pairs.lo.length; k++) if (f[pairs.lo[k]!]! >= f[pairs.hi[k]!]!) loss++;
  return loss;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  const frac = pos - i;
  return i + 1 < sorted.length ? sorted[i]! * (1 - frac) + sorted[i + 1]! * frac : sorted[i]!;
}

/**
 * RGPE's weights of S sources and the target (module comment). With fewer than two distinct target
 * values no pair can be ordered: every model ties in every draw, so the target has all the weight.
 */
export function rankingWeights(y: ArrayLike<number>, sources: readonly JointPosterior[], target: LeaveOneOut, samples: number, rng: Rng): RankingWeights {
  const n = y.length;
  const S = sources.length;
  const pairs = orderedPairs(y);
  const nPairs = pairs.lo.length;
  const losses = Array.from({ length: S + 1 }, () => new Float64Array(samples));
  const samplers = sources.map((p) => new JointSampler(p, n));
  const f = new Float64Array(n);
  const wins = new Float64Array(S + 1);
  const best: number[] = [];
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < S; i++) {
      samplers[i]!.draw(rng, f);
      losses[i]![s] = rankingLoss(f, pairs);
    }
    for (let i = 0; i < n; i++) f[i] = target.mean[i]! + Math.sqrt(Math.max(0, target.variance[i]!)) * rng.normal();
    losses[S]![s] = rankingLoss(f, pairs);
    let min = Infinity;
    best.length = 0;
    for (let i = 0; i < S; i++) {
      const l = losses[i]![s]!;
      if (l < min) {
        min = l;
        best.length = 0;
      }
      if (l === min) best.push(i);
    }
    // A tie with the target goes to the target (module comment); ties among sources are split at random.
    wins[losses[S]![s]! <= min ? S : best[rng.int(best.length)]!]! += 1;
  }
  const medianLoss = new Float64Array(S + 1);
  const sorted = losses.map((l) => Float64Array.from(l).sort());
  for (let i = 0; i <= S; i++) medianLoss[i] = nPairs > 0 ? quantile(sorted[i]!, 0.5) / nPairs : 0;
  const cutoff = quantile(sorted[S]!, 0.95);
  for (let i = 0; i < S; i++) if (nPairs > 0 && quantile(sorted[i]!, 0.5) > cutoff) wins[i] = 0;
  let total = 0;
  for (const w of wins) total += w;
  // Every draw went to sources that were then diluted away: the target alone.
  if (total === 0) wins[S] = total = 1;
  return { weights: wins.map((w) => w / total), medianLoss };
}
