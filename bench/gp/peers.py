"""Peer measurements for bench/gp/engine.ts: scikit-learn and numpy/OpenBLAS on the SAME data.

Not meant to be run by hand: bench/gp/engine.ts writes the data to bench/gp/.data/*.json and spawns
    /usr/bin/python3 bench/gp/peers.py <task> <args...>
between its own measurements, so both sides run side by side on the same (noisy) machine.
Each call prints exactly one JSON object on stdout.

Tasks
  info                      versions, BLAS library and thread count (threadpoolctl)
  fit <data.json> <reps>    sklearn GaussianProcessRegressor, Matern-5/2 ARD * ConstantKernel + WhiteKernel,
                            n_restarts_optimizer=9 (= 10 starts: the initial kernel + 9 random), as in
                            bench/reference/sklearn_gp.py; wall time of .fit, held-out RMSE of the
                            posterior mean on the test points, log marginal likelihood at the optimum.
  predict <data.json> <reps> sklearn predict(return_std=True) of the candidates, with the kernel FIXED at the
                            hyperparameters the engine found (optimizer=None), so both predict the same model.
  chol <n> <reps> [seed]    numpy.linalg.cholesky (LAPACK dpotrf via OpenBLAS) of an SPD Matern-5/2 Gram
                            matrix + 1e-3 I; median seconds and GFLOP/s = n^3/3 / t, at the default BLAS
                            thread count and at 1 thread; plus the bare in-place LAPACK dpotrf (scipy).
"""
import json
import statistics
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")  # sklearn ConvergenceWarnings on random restarts


def load(path):
    with open(path) as f:
        return json.load(f)


def sk_gpr(d, hyper=None, restarts=9):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
    if hyper is None:
        kernel = ConstantKernel(1.0) * Matern(length_scale=np.ones(d), nu=2.5) + WhiteKernel(1e-3)
        return GaussianProcessRegressor(kernel, n_restarts_optimizer=restarts, random_state=0)
    kernel = ConstantKernel(hyper["outputscale"], "fixed") * \
        Matern(length_scale=np.asarray(hyper["lengthscales"], dtype=float), length_scale_bounds="fixed", nu=2.5) + \
        WhiteKernel(hyper["noise"], "fixed")
    return GaussianProcessRegressor(kernel, optimizer=None, alpha=0.0)


def task_info():
    import scipy
    import sklearn
    info = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
            "sklearn": sklearn.__version__}
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [{k: p.get(k) for k in ("internal_api", "version", "num_threads", "threading_layer",
                                                "architecture")} for p in threadpool_info()]
    except Exception as e:  # pragma: no cover
        info["blas"] = str(e)
    return info


def task_fit(path, reps):
    data = load(path)
    X, y = np.asarray(data["X"]), np.asarray(data["y"])
    Xt, yt = np.asarray(data["Xtest"]), np.asarray(data["ytest"])
    times, out = [], None
    for _ in range(reps):
        gp = sk_gpr(X.shape[1])
        t = time.perf_counter()
        gp.fit(X, y)
        times.append(time.perf_counter() - t)
        mu = gp.predict(Xt)
        k = gp.kernel_
        out = {"rmse": float(np.sqrt(np.mean((mu - yt) ** 2))), "lml": float(gp.log_marginal_likelihood_value_),
               "kernel": str(k),
               "hyperparameters": {"lengthscales": np.atleast_1d(k.k1.k2.length_scale).astype(float).tolist(),
                                   "outputscale": float(k.k1.k1.constant_value), "noise": float(k.k2.noise_level),
                                   "mean": 0.0}}
    out.update({"seconds": statistics.median(times), "times": times, "reps": reps})
    return out


def task_predict(path, reps):
    data = load(path)
    X, y, C = np.asarray(data["X"]), np.asarray(data["y"]), np.asarray(data["Xc"])
    h = data["hyperparameters"]
    gp = sk_gpr(X.shape[1], h).fit(X, y - h["mean"])
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        mu, sd = gp.predict(C, return_std=True)
        times.append(time.perf_counter() - t)
    mu = mu + h["mean"]
    var_latent = sd ** 2 - h["noise"]
    return {"seconds": statistics.median(times), "times": times, "reps": reps,
            "mean": mu[:5].tolist(), "varianceLatent": var_latent[:5].tolist()}


def spd(n, seed, d=6):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    D = (X[:, None, :] - X[None, :, :]) / 0.5
    r = np.sqrt((D * D).sum(-1))
    s5 = np.sqrt(5.0)
    K = (1 + s5 * r + 5.0 / 3.0 * r * r) * np.exp(-s5 * r)
    K[np.diag_indices(n)] += 1e-3
    return K


def time_chol(K, reps):
    """Median seconds of numpy.linalg.cholesky (includes its output allocation / triangle zeroing)."""
    np.linalg.cholesky(K)  # warm-up
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        np.linalg.cholesky(K)
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


def time_dpotrf(K, reps):
    """Median seconds of the bare LAPACK dpotrf (in place on a Fortran copy made outside the timer)."""
    from scipy.linalg.lapack import dpotrf
    times = []
    for r in range(reps + 1):
        A = np.asfortranarray(K)
        t = time.perf_counter()
        _, info = dpotrf(A, lower=1, clean=0, overwrite_a=1)
        dt = time.perf_counter() - t
        assert info == 0
        if r:
            times.append(dt)
    return statistics.median(times), min(times)


def task_chol(n, reps, seed=0):
    K = spd(n, seed)
    flops = n ** 3 / 3.0
    out = {"n": n, "reps": reps}
    t, tmin = time_chol(K, reps)
    td, tdmin = time_dpotrf(K, reps)
    out["default"] = {"seconds": t, "gflops": flops / t / 1e9, "min_seconds": tmin}
    out["dpotrf"] = {"seconds": td, "gflops": flops / td / 1e9, "min_seconds": tdmin, "min_gflops": flops / tdmin / 1e9}
    try:
        from threadpoolctl import threadpool_limits, threadpool_info
        out["default"]["threads"] = max(p.get("num_threads", 0) for p in threadpool_info())
        with threadpool_limits(1):
            t1, _ = time_chol(K, reps)
            td1, _ = time_dpotrf(K, reps)
        out["one_thread"] = {"seconds": t1, "gflops": flops / t1 / 1e9, "threads": 1,
                             "dpotrf_seconds": td1, "dpotrf_gflops": flops / td1 / 1e9}
    except Exception as e:  # pragma: no cover
        out["one_thread"] = str(e)
    return out


def main(argv):
    task = argv[1]
    if task == "info":
        res = task_info()
    elif task == "fit":
        res = task_fit(argv[2], int(argv[3]))
    elif task == "predict":
        res = task_predict(argv[2], int(argv[3]))
    elif task == "chol":
        res = task_chol(int(argv[2]), int(argv[3]), int(argv[4]) if len(argv) > 4 else 0)
    else:
        raise SystemExit(f"unknown task {task!r}")
    print(json.dumps(res))


if __name__ == "__main__":
    main(sys.argv)
