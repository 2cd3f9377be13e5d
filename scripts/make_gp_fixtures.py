"""Reference Gaussian-process posteriors for the native engine's tests: test/fixtures/gp/*.json.

Rerun (deterministic; fixed seeds; overwrites the fixtures) with Debian's python3
(python3-sklearn 1.2, numpy, scipy, mpmath):

    /usr/bin/python3 scripts/make_gp_fixtures.py

What it computes, for FIXED hyperparameters (nothing is optimised):
  kernel   k(x, x') = outputscale * base(r),  r = || (x - x') / lengthscales ||   (ARD)
           base = Matern-5/2: (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r)     ('matern52')
                  squared exponential: exp(-r^2 / 2)                   ('rbf')
  model    y = mean + f(x) + eps,  f ~ GP(0, k),  eps ~ N(0, noise)
           -> outputscale and noise are VARIANCES (not standard deviations); mean is a constant.
  In scikit-learn terms: ConstantKernel(outputscale, 'fixed') * Matern(ls, nu=2.5, 'fixed')   [or RBF]
                         + WhiteKernel(noise, 'fixed'),  GaussianProcessRegressor(optimizer=None, alpha=0),
                         fitted on y - mean; predicted means + mean.
  Stored per file: { name, kernel, d, X, y, hyperparameters: {lengthscales, outputscale, noise, mean},
                     Xtest, mean, variance, covariance, logMarginalLikelihood, notes, referenceError }
    mean / variance / covariance : posterior of the LATENT f at Xtest (variance WITHOUT the noise term),
                                   in y's units; covariance is Xtest x Xtest.
    logMarginalLikelihood        : log N(y - mean | 0, K + noise I), no hyperprior.
  The posterior is built by hand in float64 (numpy Cholesky on the Gram matrices from the sklearn kernel
  objects' __call__), and asserted to agree with (a) sklearn's own predict/log_marginal_likelihood and
  (b) an independent numpy implementation of the kernel formulas.
  For small n the script also recomputes everything with mpmath at 50 significant digits and stores, in
  `referenceError`, the largest absolute and relative deviation of the stored float64 values from that
  exact answer: that is the floor for any float64 engine's tolerance on the ill-conditioned cases.
"""
import json
import math
import os

import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "gp")
MP_MAX_N = 100  # mpmath cross-check for n <= this


def smooth(X, rng, noise_sd=0.05):
    """Same family as shared/reference/sklearn_gp.py, with a bit more noise."""
    return np.sin(3 * X).sum(1) + 0.5 * np.cos(5 * X[:, 0] * X[:, -1]) + noise_sd * rng.standard_normal(len(X))


def sk_kernel(kind, ls, outputscale, noise, with_noise=True):
    base = Matern(length_scale=ls, length_scale_bounds="fixed", nu=2.5) if kind == "matern52" else \
        RBF(length_scale=ls, length_scale_bounds="fixed")
    k = ConstantKernel(outputscale, constant_value_bounds="fixed") * base
    if with_noise:
        k = k + WhiteKernel(noise, noise_level_bounds="fixed")
    return k


def np_kernel(kind, A, B, ls, outputscale):
    """Independent implementation of the latent kernel from the formulas above."""
    D = (A[:, None, :] - B[None, :, :]) / np.asarray(ls)[None, None, :]
    r2 = (D * D).sum(-1)
    if kind == "rbf":
        return outputscale * np.exp(-0.5 * r2)
    r = np.sqrt(r2)
    s5 = math.sqrt(5.0)
    return outputscale * (1 + s5 * r + 5.0 / 3.0 * r2) * np.exp(-s5 * r)


def posterior_by_hand(kind, X, y, Xt, ls, outputscale, noise, mean):
    kf = sk_kernel(kind, ls, outputscale, noise, with_noise=False)  # latent kernel
    n = len(X)
    K = kf(X) + noise * np.eye(n)
    Ks = kf(Xt, X)              # m x n
    Kss = kf(Xt)                # m x m, latent (no noise)
    L = np.linalg.cholesky(K)
    r = y - mean
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, r))
    mu = Ks @ alpha + mean
    V = np.linalg.solve(L, Ks.T)
    cov = Kss - V.T @ V
    cov = 0.5 * (cov + cov.T)
    lml = -0.5 * r @ alpha - np.log(np.diag(L)).sum() - 0.5 * n * math.log(2 * math.pi)
    cond = np.linalg.cond(K)
    return mu, np.diag(cov).copy(), cov, lml, cond, K, Ks, Kss


def posterior_mp(kind, X, y, Xt, ls, outputscale, noise, mean, dps=50):
    import mpmath as mp
    mp.mp.dps = dps
    s5 = mp.sqrt(5)

    def k(a, b):
        r2 = mp.mpf(0)
        for ai, bi, li in zip(a, b, ls):
            t = (mp.mpf(ai) - mp.mpf(bi)) / mp.mpf(li)
            r2 += t * t
        if kind == "rbf":
            return mp.mpf(outputscale) * mp.exp(-r2 / 2)
        r = mp.sqrt(r2)
        return mp.mpf(outputscale) * (1 + s5 * r + mp.mpf(5) / 3 * r2) * mp.exp(-s5 * r)

    n, m = len(X), len(Xt)
    K = mp.matrix(n, n)
    for i in range(n):
        for j in range(n):
            K[i, j] = k(X[i], X[j]) + (mp.mpf(noise) if i == j else 0)
    L = mp.cholesky(K)

    def fwd(b):  # solve L z = b (L lower triangular)
        z = [mp.mpf(0)] * n
        for i in range(n):
            z[i] = (b[i] - sum(L[i, j] * z[j] for j in range(i))) / L[i, i]
        return z

    def bwd(b):  # solve L^T z = b
        z = [mp.mpf(0)] * n
        for i in reversed(range(n)):
            z[i] = (b[i] - sum(L[j, i] * z[j] for j in range(i + 1, n))) / L[i, i]
        return z

    r = [mp.mpf(v) - mp.mpf(mean) for v in y]
    alpha = bwd(fwd(r))
    Ks = [[k(Xt[i], X[j]) for j in range(n)] for i in range(m)]
    mu = [sum(Ks[i][j] * alpha[j] for j in range(n)) + mp.mpf(mean) for i in range(m)]
    V = [fwd(Ks[i]) for i in range(m)]  # V[i] = L^-1 k(X, xt_i)
    cov = [[k(Xt[i], Xt[j]) - sum(V[i][t] * V[j][t] for t in range(n)) for j in range(m)] for i in range(m)]
    logdet = sum(mp.log(L[i, i]) for i in range(n))
    lml = -sum(r[i] * alpha[i] for i in range(n)) / 2 - logdet - n * mp.log(2 * mp.pi) / 2
    return mu, cov, lml


def make_case(name, kind, X, y, Xt, ls, outputscale, noise, mean, notes):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    Xt = np.asarray(Xt, dtype=np.float64)
    d = X.shape[1]
    assert X.min() >= 0 and X.max() <= 1 and Xt.min() >= 0 and Xt.max() <= 1
    ls = [float(v) for v in ls]
    assert len(ls) == d

    mu, var, cov, lml, cond, K, Ks, Kss = posterior_by_hand(kind, X, y, Xt, ls, outputscale, noise, mean)

    # (b) independent kernel formulas agree with sklearn's kernel objects
    for A, B, got in ((X, X, K - noise * np.eye(len(X))), (Xt, X, Ks), (Xt, Xt, Kss)):
        ref = np_kernel(kind, A, B, ls, outputscale)
        assert np.allclose(got, ref, rtol=1e-12, atol=1e-14 * outputscale), (name, np.abs(got - ref).max())

    # (a) sklearn's own GaussianProcessRegressor with fixed hyperparameters
    gpr = GaussianProcessRegressor(sk_kernel(kind, ls, outputscale, noise), alpha=0.0, optimizer=None,
                                   normalize_y=False).fit(X, y - mean)
    sk_mu, sk_cov = gpr.predict(Xt, return_cov=True)   # includes the WhiteKernel noise on the diagonal
    sk_mu = sk_mu + mean
    sk_lml = gpr.log_marginal_likelihood_value_
    scale_y = max(1.0, np.abs(y - mean).max())
    # tolerances relative to the conditioning: well-conditioned cases must agree to ~1e-10
    tol = max(1e-10, 1e-15 * cond)
    assert np.allclose(sk_mu, mu, rtol=0, atol=tol * scale_y), (name, np.abs(sk_mu - mu).max())
    assert np.allclose(sk_cov - noise * np.eye(len(Xt)), cov, rtol=0, atol=tol * outputscale), \
        (name, np.abs(sk_cov - noise * np.eye(len(Xt)) - cov).max())
    assert abs(sk_lml - lml) <= tol * max(1.0, abs(lml)), (name, sk_lml, lml)
    # sklearn's return_std path (used by most callers) agrees too
    _, sk_std = gpr.predict(Xt, return_std=True)
    assert np.allclose(sk_std ** 2 - noise, var, rtol=0, atol=tol * outputscale)
    # latent variance is non-negative up to rounding and bounded by the prior variance
    assert var.min() > -1e-9 * outputscale and var.max() <= outputscale * (1 + 1e-12), (name, var.min(), var.max())

    ref_err = None
    if len(X) <= MP_MAX_N:
        mp_mu, mp_cov, mp_lml = posterior_mp(kind, X.tolist(), y.tolist(), Xt.tolist(), ls, outputscale, noise, mean)
        mp_mu = np.array([float(v) for v in mp_mu])
        mp_cov = np.array([[float(v) for v in row] for row in mp_cov])
        mp_lml = float(mp_lml)
        mp_var = np.diag(mp_cov)
        ref_err = {
            "comment": "max |stored float64 - 50-digit mpmath| (abs), and relative to max(|exact|) of that quantity",
            "mean": [float(np.abs(mu - mp_mu).max()), float(np.abs(mu - mp_mu).max() / np.abs(mp_mu).max())],
            "variance": [float(np.abs(var - mp_var).max()), float(np.abs(var - mp_var).max() / np.abs(mp_var).max())],
            "covariance": [float(np.abs(cov - mp_cov).max()), float(np.abs(cov - mp_cov).max() / np.abs(mp_cov).max())],
            "logMarginalLikelihood": [abs(lml - mp_lml), abs(lml - mp_lml) / abs(mp_lml)],
        }
        # the float64 reference itself must be close to exact, scaled by conditioning
        assert np.abs(mu - mp_mu).max() <= max(1e-12, 1e-15 * cond) * scale_y * 10, (name, ref_err)

    doc = {
        "name": name,
        "kernel": kind,
        "d": int(d),
        "X": X.tolist(),
        "y": y.tolist(),
        "hyperparameters": {"lengthscales": ls, "outputscale": float(outputscale), "noise": float(noise),
                            "mean": float(mean)},
        "Xtest": Xt.tolist(),
        "mean": mu.tolist(),
        "variance": var.tolist(),
        "covariance": cov.tolist(),
        "logMarginalLikelihood": float(lml),
        "notes": notes + f" cond(K + noise I) = {cond:.3e}. outputscale and noise are variances; "
                         "variance/covariance are of the latent f (no noise). Generated by scripts/make_gp_fixtures.py.",
        "referenceError": ref_err,
    }
    path = os.path.join(OUT, f"{name}.json")
    text = json.dumps(doc, indent=None, separators=(",", ":"))
    assert len(text) < 200_000, (name, len(text))
    with open(path, "w") as f:
        f.write(text + "\n")
    print(f"{name:22s} kernel={kind:8s} d={d} n={len(X):3d} m={len(Xt):3d} cond={cond:9.2e} "
          f"lml={lml:12.6f} bytes={len(text):6d}" + ("" if ref_err is None else
          f"  mp-err mean={ref_err['mean'][0]:.1e} var={ref_err['variance'][0]:.1e} lml={ref_err['logMarginalLikelihood'][0]:.1e}"))


def main():
    os.makedirs(OUT, exist_ok=True)

    # 1. d = 1, Matern-5/2; Xtest is a grid that includes training points and the ends of [0, 1].
    rng = np.random.default_rng(101)
    X = rng.random((8, 1))
    y = np.sin(6 * X[:, 0]) + 0.05 * rng.standard_normal(8) + 0.3
    Xt = np.vstack([np.linspace(0, 1, 21)[:, None], X[:3]])
    make_case("d1_matern52", "matern52", X, y, Xt, [0.2], 1.5, 1e-3, 0.3,
              "d=1, n=8, Xtest = 21-point grid on [0,1] plus three training points.")

    # 2. d = 3, n = 20, Matern-5/2, anisotropic lengthscales, non-zero mean.
    rng = np.random.default_rng(103)
    X = rng.random((20, 3))
    y = smooth(X, rng) + 1.0
    Xt = np.vstack([rng.random((27, 3)), X[:3]])
    make_case("d3_matern52", "matern52", X, y, Xt, [0.3, 0.7, 1.4], 2.0, 1e-2, 1.0,
              "d=3, n=20, anisotropic lengthscales, mean 1.0; Xtest = 27 random points plus three training points.")

    # 3. d = 6, n = 100, Matern-5/2.
    rng = np.random.default_rng(106)
    X = rng.random((100, 6))
    y = smooth(X, rng, noise_sd=0.01)
    y = (y - y.mean()) / y.std()
    Xt = np.vstack([rng.random((37, 6)), X[:3]])
    make_case("d6_matern52", "matern52", X, y, Xt, [0.5, 0.6, 0.8, 1.0, 1.3, 0.45], 1.2, 1e-3, 0.05,
              "d=6, n=100, standardised smooth function (as shared/reference/sklearn_gp.py); Xtest = 37 random + 3 training points.")

    # 4. RBF, d = 3, n = 20.
    rng = np.random.default_rng(107)
    X = rng.random((20, 3))
    y = smooth(X, rng)
    Xt = np.vstack([rng.random((27, 3)), X[:3]])
    make_case("d3_rbf", "rbf", X, y, Xt, [0.25, 0.5, 0.9], 0.8, 5e-3, -0.2,
              "squared-exponential kernel, d=3, n=20; Xtest = 27 random + 3 training points.")

    # 5. Nearly duplicate points: 8 base points, each repeated with a 1e-7 perturbation and a different y.
    rng = np.random.default_rng(108)
    B = 0.05 + 0.9 * rng.random((8, 2))
    X = np.vstack([B, B + 1e-7 * rng.standard_normal(B.shape), rng.random((6, 2))])
    y = smooth(X, rng, noise_sd=0.1)
    Xt = np.vstack([rng.random((17, 2)), B[:3], X[-2:]])
    make_case("near_duplicates", "matern52", X, y, Xt, [0.3, 0.4], 1.0, 1e-4, 0.1,
              "d=2, n=22: 8 points each duplicated with a 1e-7 perturbation (different noisy y), plus 6 others; noise 1e-4.")

    # 6. Large noise: noise variance comparable to the signal.
    rng = np.random.default_rng(109)
    X = rng.random((30, 2))
    y = smooth(X, rng, noise_sd=0.7)
    Xt = np.vstack([rng.random((27, 2)), X[:3]])
    make_case("large_noise", "matern52", X, y, Xt, [0.4, 0.3], 1.3, 0.5, 0.0,
              "d=2, n=30, noise variance 0.5 with outputscale 1.3.")

    # 7. Tiny noise (1e-6), long lengthscales, dense points: ill-conditioned K.
    rng = np.random.default_rng(110)
    X = rng.random((30, 2))
    y = np.sin(3 * X).sum(1)  # noiseless smooth data
    Xt = np.vstack([rng.random((27, 2)), X[:3]])
    make_case("tiny_noise_illconditioned", "matern52", X, y, Xt, [0.9, 1.1], 1.0, 1e-6, 0.5,
              "d=2, n=30, noise 1e-6 and long lengthscales: K is ill-conditioned; see referenceError for the float64 floor.")

    # 8. Tiny noise with the RBF kernel: even worse conditioning (RBF spectrum decays faster).
    rng = np.random.default_rng(111)
    X = rng.random((25, 2))
    y = np.sin(3 * X).sum(1)
    Xt = np.vstack([rng.random((22, 2)), X[:3]])
    make_case("tiny_noise_rbf", "rbf", X, y, Xt, [0.5, 0.6], 1.0, 1e-6, 0.0,
              "RBF, d=2, n=25, noise 1e-6: severely ill-conditioned; see referenceError for the float64 floor.")


if __name__ == "__main__":
    main()
