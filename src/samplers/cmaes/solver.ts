/**
 * The CMA-ES update (internal): Hansen, "The CMA Evolution Strategy: A Tutorial" (arXiv:1604.00772,
 * 2016), with weighted recombination, negative weights for the rank-μ update (active CMA), cumulative
 * step-size adaptation and the termination tests used to trigger IPOP restarts.
 *
 * Everything is a plain JSON-serialisable record so that the sampler can store it in the study and a
 * later process can continue from it; the functions here are pure (they return new records).
 * Covariance is kept as its eigen-decomposition C = B·diag(D²)·Bᵀ: sampling needs B·D, the update
 * needs C^(-1/2) = B·diag(1/D)·Bᵀ, so storing (B, D) instead of C saves a decomposition per trial.
 */
import { fromEigen, identity, matVec, norm, symmetricEigen, type Mat } from './linalg.js';

/** The state of one CMA-ES run (between two restarts). */
export interface CmaRun {
  /** Dimension. */
  readonly n: number;
  /** λ, the population size. */
  readonly popsize: number;
  readonly mean: readonly number[];
  /** Global step size σ. */
  readonly sigma: number;
  /** σ at the start of the run (tolX is relative to it). */
  readonly sigma0: number;
  /** Eigenvectors of C (columns), row-major n×n. */
  readonly B: Mat;
  /** Square roots of the eigenvalues of C. */
  readonly D: readonly number[];
  /** Evolution path of σ. */
  readonly pSigma: readonly number[];
  /** Evolution path of C. */
  readonly pc: readonly number[];
  /** Number of updates so far in this run. */
  readonly generation: number;
  /** Per-dimension scaling of the discrete encoding (CMA-ES with margin); 1 for continuous dimensions. */
  readonly A: readonly number[];
  /** Best and worst value of each of the last `funHistLength` generations, flattened [best, worst, ...]. */
  readonly funHist: readonly number[];
}

/** The constant strategy parameters of a run (derived from n and λ; not stored). */
export interface Strategy {
  readonly mu: number;
  /** λ recombination weights, sorted best first; the last ones are negative (active CMA). */
  readonly weights: readonly number[];
  readonly muEff: number;
  readonly cSigma: number;
  readonly dSigma: number;
  readonly cc: number;
  readonly c1: number;
  readonly cMu: number;
  /** E‖N(0, I)‖. */
  readonly chiN: number;
  /** Generations of history the flat-fitness test (tolFun) looks at. */
  readonly funHistLength: number;
}

export const SIGMA_MAX = 1e32;
const EIG_FLOOR = 1e-20;

/** Default λ = 4 + ⌊3 ln n⌋ (tutorial eq. 48). */
export function defaultPopsize(n: number): number {
  return 4 + Math.floor(3 * Math.log(n));
}

export function strategy(n: number, lambda: number): Strategy {
  const mu = Math.floor(lambda / 2);
  const raw = Array.from({ length: lambda }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
  const pos = raw.filter((w) => w > 0);
  const neg = raw.filter((w) => w < 0);
  const sum = (a: number[]): number => a.reduce((s, x) => s + x, 0);
  const muEff = sum(pos) ** 2 / sum(pos.map((w) => w * w));
  const muEffNeg = neg.length > 0 ? sum(neg) ** 2 / sum(neg.map((w) => w * w)) : 0;
  const alphaCov = 2;
  const c1 = alphaCov / ((n + 1.3) ** 2 + muEff);
  const cMu = Math.min(1 - c1, (alphaCov * (0.25 + muEff + 1 / muEff - 2)) / ((n + 2) ** 2 + (alphaCov * muEff) / 2));
  // Negative weights scaled so that C stays positive definite (eqs. 50–53).
  const alphaNeg = Math.min(1 + c1 / cMu, 1 + (2 * muEffNeg) / (muEff + 2), (1 - c1 - cMu) / (n * cMu));
  const sumPos = sum(pos);
  const sumNeg = -sum(neg);
  const weights = raw.map((w) => (w >= 0 ? w / sumPos : (alphaNeg * w) / sumNeg));
  const cSigma = (muEff + 2) / (n + muEff + 5);
  const dSigma = 1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (n + 1)) - 1) + cSigma;
  const cc = (4 + muEff / n) / (n + 4 + (2 * muEff) / n);
  const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
  return { mu, weights, muEff, cSigma, dSigma, cc, c1, cMu, chiN, funHistLength: 10 + Math.ceil((30 * n) / lambda) };
}

export function newRun(mean: readonly number[], sigma: number, popsize: number): CmaRun {
  const n = mean.length;
  return {
    n,
    popsize,
    mean: [...mean],
    sigma,
    sigma0: sigma,
    B: identity(n),
    D: new Array<number>(n).fill(1),
    pSigma: new Array<number>(n).fill(0),
    pc: new Array<number>(n).fill(0),
    generation: 0,
    A: new Array<number>(n).fill(1),
    funHist: [],
  };
}

/** x = m + σ·B·D·z for a standard normal vector z. */
export function sampleFromRun(run: CmaRun, z: readonly number[]): number[] {
  const dz = z.map((zi, i) => run.D[i]! * zi);
  const y = matVec(run.B, dz, run.n);
  return y.map((yi, i) => run.mean[i]! + run.sigma * yi);
}

/** C^(-1/2)·v = B·diag(1/D)·Bᵀ·v. */
function invSqrtC(run: CmaRun, v: readonly number[]): number[] {
  const n = run.n;
  const t = new Array<number>(n).fill(0);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += run.B[i * n + k]! * v[i]!;
    t[k] = s / run.D[k]!;
  }
  return matVec(run.B, t, n);
}

/**
 * One CMA-ES update from exactly λ evaluated points `x` (values to minimise). Returns the next run
 * state with C re-decomposed.
 */
export function tell(run: CmaRun, solutions: readonly { x: readonly number[]; f: number }[]): CmaRun {
  const { n, popsize } = run;
  const s = strategy(n, popsize);
  const sorted = [...solutions].sort((a, b) => a.f - b.f);
  const sigma = run.sigma;
  const ys = sorted.map((sol) => sol.x.map((xi, i) => (xi - run.mean[i]!) / sigma));
  // Weighted mean step of the μ best (eq. 41); cm = 1.
  const yw = new Array<number>(n).fill(0);
  for (let k = 0; k < s.mu; k++) for (let i = 0; i < n; i++) yw[i]! += s.weights[k]! * ys[k]![i]!;
  const mean = run.mean.map((m, i) => m + sigma * yw[i]!);
  // Cumulative step-size adaptation (eqs. 43–44).
  const cInvYw = invSqrtC(run, yw);
  const kSigma = Math.sqrt(s.cSigma * (2 - s.cSigma) * s.muEff);
  const pSigma = run.pSigma.map((p, i) => (1 - s.cSigma) * p + kSigma * cInvYw[i]!);
  const normPs = norm(pSigma);
  const nextSigma = Math.min(SIGMA_MAX, sigma * Math.exp((s.cSigma / s.dSigma) * (normPs / s.chiN - 1)));
  // hσ stalls the update of pc when pσ is large (σ increasing fast), so C does not grow too quickly.
  const g = run.generation + 1;
  const hSigma = normPs / Math.sqrt(1 - (1 - s.cSigma) ** (2 * g)) < (1.4 + 2 / (n + 1)) * s.chiN ? 1 : 0;
  const kc = Math.sqrt(s.cc * (2 - s.cc) * s.muEff);
  const pc = run.pc.map((p, i) => (1 - s.cc) * p + hSigma * kc * yw[i]!);
  // Negative weights are rescaled by n/‖C^(-1/2) y‖² so that they cannot make C indefinite (eq. 46).
  const wo = s.weights.map((w, k) => {
    if (w >= 0) return w;
    const q = norm(invSqrtC(run, ys[k]!));
    return (w * n) / (q * q + 1e-300);
  });
  const deltaH = (1 - hSigma) * s.cc * (2 - s.cc);
  const sumW = s.weights.reduce((a, b) => a + b, 0);
  const decay = 1 + s.c1 * deltaH - s.c1 - s.cMu * sumW;
  const C = fromEigen(run.B, run.D.map((d) => d * d), n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let rankMu = 0;
      for (let k = 0; k < popsize; k++) rankMu += wo[k]! * ys[k]![i]! * ys[k]![j]!;
      C[i * n + j] = decay * C[i * n + j]! + s.c1 * pc[i]! * pc[j]! + s.cMu * rankMu;
    }
  }
  const eig = symmetricEigen(C, n);
  const funHist = [...run.funHist, sorted[0]!.f, sorted[sorted.length - 1]!.f].slice(-2 * s.funHistLength);
  return {
    ...run,
    mean,
    sigma: nextSigma,
    B: eig.vectors,
    // Numerically negative eigenvalues (rounding) are floored rather than trusted.
    D: eig.values.map((v) => Math.sqrt(Math.max(v, EIG_FLOOR))),
    pSigma,
    pc,
    generation: g,
    funHist,
  };
}

/** Termination tests (the usual tolFun, tolX, tolUpSigma, no-effect and conditioning ones). */
export const STOP = {
  tolFun: 1e-12,
  tolX: 1e-12,
  tolXUp: 1e4,
  tolConditionCov: 1e14,
} as const;

/** Why this run should be restarted, or null when it can go on. */
export function stopReason(run: CmaRun): string | null {
  const { n, sigma } = run;
  const s = strategy(n, run.popsize);
  const diagC = Array.from({ length: n }, (_, i) => {
    let c = 0;
    for (let k = 0; k < n; k++) c += run.B[i * n + k]! ** 2 * run.D[k]! ** 2;
    return c;
  });
  // Flat fitness: best and worst of the recent generations all within tolFun.
  if (run.generation >= s.funHistLength && run.funHist.length > 0) {
    const range = Math.max(...run.funHist) - Math.min(...run.funHist);
    if (range < STOP.tolFun) return 'tolFun';
  }
  const tolX = STOP.tolX * run.sigma0;
  if (diagC.every((c, i) => sigma * Math.sqrt(c) < tolX && Math.abs(sigma * run.pc[i]!) < tolX)) return 'tolX';
  const maxD = Math.max(...run.D);
  const minD = Math.min(...run.D);
  if (sigma * maxD > STOP.tolXUp) return 'tolXUp';
  // Steps too small to change the mean at double precision.
  if (diagC.some((c, i) => run.mean[i] === run.mean[i]! + 0.2 * sigma * Math.sqrt(c))) return 'noEffectCoord';
  const axis = run.generation % n;
  if (run.mean.every((m, i) => m === m + 0.1 * sigma * run.D[axis]! * run.B[i * n + axis]!)) return 'noEffectAxis';
  if ((maxD / minD) ** 2 > STOP.tolConditionCov) return 'conditionCov';
  return null;
}
