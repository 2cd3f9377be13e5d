/**
 * The two hypergradients of the validation loss with respect to λ (decays and custom scalars):
 *
 * implicit (Lorraine et al. 2020): at a minimum w*(λ) of L_T, ∇_w L_T(w*(λ), λ) = 0 for all λ, so
 *   dL_V/dλ = ∂L_V/∂λ − (∂²L_T/∂λ∂w) H⁻¹ ∇_w L_V,   H = ∇²_w L_T,
 * with H⁻¹ v ≈ η Σ_{j=0..J} (I − ηH)^j v (a Neumann series; converges when 0 < η < 2/λ_max(H) and H is
 * positive definite). Cost: J + 1 Hessian–vector products, memory: a few copies of w; exact only at
 * convergence and for J → ∞.
 *
 * unrolled: K plain SGD steps w_{k+1} = w_k − α ∇_w L_T(w_k, λ) are taken and then differentiated in
 * reverse (a_K = ∇_w L_V(w_K); for k = K−1..0: dλ −= α (∂²L_T/∂λ∂w)_k a_{k+1}, dα −= ⟨∇L_T_k, a_{k+1}⟩,
 * a_k = a_{k+1} − α H_k a_{k+1}), exact for those K steps and blind to how λ shaped w_0. Cost: K HVPs and
 * K copies of w; no convergence needed.
 *
 * ∂L_V/∂λ is zero here (the validation loss has neither penalty nor hook).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { dotAll, type Problem } from './problem.js';

type Tensor = tfTypes.Tensor;

export interface ImplicitOptions {
  /** Neumann terms J (default 20). */
  readonly neumannSteps?: number;
  /** η; default: 1 / λ_max(H) by `powerSteps` rounds of power iteration. */
  readonly neumannScale?: number;
  /** Power iteration rounds for the default η (default 10). */
  readonly powerSteps?: number;
  /** Training rows for the Hessian terms (default: all). */
  readonly rows?: Int32Array | null;
}

export interface Hypergradient {
  /** dL_V/dλ in λ's natural domain, laid out as the problem's entries. */
  readonly gradient: Float64Array;
  /** dL_V/d(learning rate): from the unrolled steps; NaN from the implicit one (no dependence at a minimum). */
  readonly learningRate: number;
  /** L_V at the weights the gradient was taken at. */
  readonly valLoss: number;
  /** The Neumann scale used (implicit). */
  readonly neumannScale?: number;
}

function norm(tf: Problem['tf'], v: readonly Tensor[]): number {
  const s = tf.tidy(() => tf.sqrt(tf.addN(v.map((t) => tf.sum(tf.square(t))))));
  const out = s.dataSync()[0]!;
  s.dispose();
  return out;
}

/** The implicit hypergradient at the model's current weights. */
export function implicitHypergradient(p: Problem, o: ImplicitOptions = {}): Hypergradient {
  const tf = p.tf;
  const J = o.neumannSteps ?? 20;
  const valLoss = p.valLoss();
  const lambda = p.lambda();
  const { x, y } = p.rows(o.rows ?? null);
  const w = p.weights();
  const hvp = (v: readonly Tensor[]): Tensor[] => tf.tidy(() => p.mixed(w, lambda, x, y, v).hv);
  try {
    const vVal = tf.tidy(() => p.valGradient(w));
    let eta = o.neumannScale ?? NaN;
    if (o.neumannScale === undefined) {
      // Power iteration from ∇L_V (any start not orthogonal to the top eigenvector will do).
      let u = vVal.map((t) => t.clone());
      let top = 0;
      for (let i = 0; i < (o.powerSteps ?? 10); i++) {
        const nu = norm(tf, u);
        if (!(nu > 0) || !Number.isFinite(nu)) break;
        const unit = u.map((t) => tf.div(t, nu));
        tf.dispose(u);
        u = hvp(unit);
        top = Math.abs(dotAll(tf, u, unit));
        tf.dispose(unit);
      }
      tf.dispose(u);
      eta = top > 0 && Number.isFinite(top) ? 1 / top : 1;
    }
    // p = η Σ_j (I − ηH)^j v
    let cur = vVal;
    let acc = vVal.map((t) => t.clone());
    for (let j = 0; j < J; j++) {
      const hv = hvp(cur);
      const next = tf.tidy(() => cur.map((c, k) => tf.sub(c, tf.mul(eta, hv[k]!))));
      tf.dispose(hv);
      tf.dispose(cur);
      cur = next;
      const sum = tf.tidy(() => acc.map((a, k) => tf.add(a, cur[k]!)));
      tf.dispose(acc);
      acc = sum;
    }
    tf.dispose(cur);
    const g = tf.tidy(() => tf.mul(-eta, p.mixed(w, lambda, x, y, acc).jv));
    tf.dispose(acc);
    const gradient = Float64Array.from(g.dataSync());
    g.dispose();
    return { gradient, learningRate: NaN, valLoss, neumannScale: eta };
  } finally {
    lambda.dispose();
    if (x !== p.data.x) tf.dispose([x, y]);
  }
}

export interface UnrolledOptions {
  /** K, the SGD steps taken and differentiated (default 10). */
  readonly steps?: number;
  /** Training rows of each step (K lists); default: every row at every step. */
  readonly batches?: readonly Int32Array[];
}

/**
 * Takes K SGD steps from the model's current weights at the problem's learning rate (the model's
 * variables end at w_K) and returns the validation loss's gradient through them.
 */
export function unrolledHypergradient(p: Problem, o: UnrolledOptions = {}): Hypergradient {
  const tf = p.tf;
  const K = o.batches?.length ?? o.steps ?? 10;
  const lr = p.learningRate;
  const lambda = p.lambda();
  const states: Tensor[][] = [];
  const grads: Tensor[][] = [];
  const rows: { x: Tensor; y: Tensor }[] = [];
  try {
    let w: Tensor[] = p.weights().map((t) => t.clone());
    for (let k = 0; k < K; k++) {
      const r = p.rows(o.batches?.[k] ?? null);
      rows.push(r);
      const wk = w;
      const g = tf.tidy(() => p.gradient(wk, lambda, r.x, r.y).grads);
      states.push(wk);
      grads.push(g);
      w = tf.tidy(() => wk.map((t, i) => tf.sub(t, tf.mul(lr, g[i]!))));
    }
    p.net.variables.forEach((v, i) => v.assign(w[i]!));
    const valLoss = p.valLoss(w);
    let a = tf.tidy(() => p.valGradient(w));
    tf.dispose(w);
    let dLambda = tf.zerosLike(lambda);
    let dLr = 0;
    for (let k = K - 1; k >= 0; k--) {
      const ak = a;
      dLr -= dotAll(tf, grads[k]!, ak);
      const { x, y } = rows[k]!;
      const m = tf.tidy(() => {
        const r = p.mixed(states[k]!, lambda, x, y, ak);
        return { hv: r.hv, jv: r.jv };
      });
      const nextLambda = tf.tidy(() => tf.sub(dLambda, tf.mul(lr, m.jv)));
      dLambda.dispose();
      dLambda = nextLambda as typeof dLambda;
      a = tf.tidy(() => ak.map((t, i) => tf.sub(t, tf.mul(lr, m.hv[i]!))));
      tf.dispose(ak);
      tf.dispose(m.hv);
      m.jv.dispose();
    }
    tf.dispose(a);
    const gradient = Float64Array.from(dLambda.dataSync());
    dLambda.dispose();
    return { gradient, learningRate: dLr, valLoss };
  } finally {
    lambda.dispose();
    for (const s of states) tf.dispose(s);
    for (const g of grads) tf.dispose(g);
    for (const r of rows) if (r.x !== p.data.x) tf.dispose([r.x, r.y]);
  }
}
