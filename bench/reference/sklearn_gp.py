# Used by: no bench script runs it; bench/gp/engine.ts and bench/gp/peers.py use its data function and its sklearn set-up (its figures: README.md here).
"""Reference GP fitting cost: scikit-learn GaussianProcessRegressor, Matern-5/2 ARD + noise.

Times one fit (L-BFGS-B on the log marginal likelihood, n_restarts extra starts) and one
posterior prediction of m candidates, for several n, on data drawn from a fixed smooth function.
Run with Debian's python3:  /usr/bin/python3 sklearn_gp.py
"""
import sys
import time

import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel


def data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    y = np.sin(3 * X).sum(1) + 0.5 * np.cos(5 * X[:, 0] * X[:, -1]) + 0.01 * rng.standard_normal(n)
    return X, (y - y.mean()) / y.std()


def main():
    d = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    restarts = 9
    for n in (100, 250, 500, 1000):  # 2000 takes over 15 minutes
        X, y = data(n, d)
        kernel = ConstantKernel(1.0) * Matern(length_scale=np.ones(d), nu=2.5) + WhiteKernel(1e-3)
        gp = GaussianProcessRegressor(kernel, n_restarts_optimizer=restarts, random_state=0)
        t = time.perf_counter(); gp.fit(X, y); fit = time.perf_counter() - t
        C = np.random.default_rng(1).random((10000, d))
        t = time.perf_counter(); gp.predict(C, return_std=True); pred = time.perf_counter() - t
        print(f"sklearn n={n:5d} d={d} fit({restarts + 1} starts) {fit:8.3f}s  "
              f"predict 10000 mean+std {1000 * pred:8.1f}ms  lml {gp.log_marginal_likelihood_value_:.3f}",
              flush=True)


if __name__ == "__main__":
    main()
