#!/usr/bin/env python3
"""BoTorch on the same device and the same tasks as bench/gpu/bench.mjs, for a side-by-side table.

Peer measurement only (never a dependency of tunable): run on the lent H200, whose image has torch,
gpytorch and botorch. Data: the bench's generator (same LCG, same function), d = 10, float64 on CUDA.
  fit        SingleTaskGP (BoTorch's defaults: Matern-5/2 ARD, its priors, standardised outcome),
             fit_gpytorch_mll (L-BFGS-B from one start: BoTorch's default; ours uses 5 starts)
  posterior  mean and variance of 1M (n = 1000) or 100k points, in 100k-point batches
  maximize   optimize_acqf(LogExpectedImprovement, q = 1, raw_samples = 131072, num_restarts = 64)
Prints markdown rows `| task | n | botorch ms |`. Stops starting rows after BUDGET_S seconds.
  python3 bench/gpu/botorch_peer.py
"""
import math
import os
import sys
import time
import warnings

import torch

warnings.filterwarnings("ignore")
budget = float(os.environ.get("BUDGET_S", "80"))
t_start = time.perf_counter()


def lcg(seed):
    s = (seed & 0xFFFFFFFF) or 1

    def nxt():
        nonlocal s
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        return s / 4294967296

    return nxt


def bench_data(n, d):
    # Same draws, in the same order, as bench/gpu/bench.mjs: X row-major, then the noise terms.
    rnd = lcg(n)
    X = [rnd() for _ in range(n * d)]
    y = []
    for i in range(n):
        y.append(math.sin(6 * X[i * d]) + X[i * d + 1] ** 2 + 0.05 * rnd())
    return rnd, torch.tensor(X, dtype=torch.float64).reshape(n, d), torch.tensor(y, dtype=torch.float64).reshape(n, 1)


def sync_time(fn, repeats=1):
    best = float("inf")
    out = None
    for _ in range(repeats):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = fn()
        torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - t0) * 1000)
    return best, out


def main():
    from botorch.acquisition import LogExpectedImprovement
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.optim import optimize_acqf
    from gpytorch.mlls import ExactMarginalLogLikelihood
    import botorch

    dev = torch.device("cuda")
    print(f"botorch {botorch.__version__}, torch {torch.__version__}, {torch.cuda.get_device_name(0)}")
    d = 10
    bounds = torch.stack([torch.zeros(d), torch.ones(d)]).to(dev, torch.float64)

    def fit(X, Y):
        model = SingleTaskGP(X, Y)
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        return model

    # The device's float64 rates for the solve behind a posterior's variance, (1000, 1000) \ (1000, 131072).
    L = torch.linalg.cholesky(torch.eye(1000, dtype=torch.float64, device=dev) * 1000 + torch.rand(1000, 1000, dtype=torch.float64, device=dev))
    B = torch.rand(1000, 131072, dtype=torch.float64, device=dev)
    torch.linalg.solve_triangular(L, B, upper=False)
    ms, _ = sync_time(lambda: torch.linalg.solve_triangular(L, B, upper=False), 3)
    print(f"torch float64 solve_triangular (1000, 1000) \\ (1000, 131072): {ms:.2f} ms, {1000 * 1000 * 131072 / ms / 1e9:.1f} TFLOP/s")
    ms, _ = sync_time(lambda: L @ B, 3)
    print(f"torch float64 matmul (1000, 1000) @ (1000, 131072): {ms:.2f} ms, {2 * 1000 * 1000 * 131072 / ms / 1e9:.1f} TFLOP/s")
    del L, B

    # Warm-up: CUDA context, kernels, cuSOLVER handles.
    _, Xw, Yw = bench_data(64, d)
    fit(Xw.to(dev), Yw.to(dev))

    print("\n| task | n | botorch ms | note |\n| --- | --- | --- | --- |")
    for n in (1000, 5000, 20000):
        if time.perf_counter() - t_start > budget:
            break
        rnd, X, Y = bench_data(n, d)
        X, Y = X.to(dev), Y.to(dev)
        if n <= 5000:
            ms, model = sync_time(lambda: fit(X, Y))
            print(f"| fit (1 start, BoTorch default) | {n} | {ms:.0f} | |", flush=True)
        else:
            model = SingleTaskGP(X, Y)
        model.eval()
        m = 1_000_000 if n == 1000 else 100_000
        P = torch.rand(m, d, dtype=torch.float64, device=dev, generator=torch.Generator(device=dev).manual_seed(n))

        # Batches small enough for gpytorch's (b, n, d) distance temporaries.
        step = min(100_000, 8_000_000_000 // (8 * n * d))

        def posterior():
            outs = []
            with torch.no_grad():
                for k in range(0, m, step):
                    # (b, 1, d): b one-point posteriors, as an acquisition function asks for them (a
                    # (b, d) batch would build the joint b × b covariance).
                    post = model.posterior(P[k:k + step].unsqueeze(-2))
                    outs.append((post.mean, post.variance))
            return outs

        posterior()  # first call builds the prediction caches (one Cholesky)
        ms, _ = sync_time(posterior, 2)
        print(f"| posterior of {m // 1000}k points | {n} | {ms:.0f} | caches built beforehand; batches of {step} |", flush=True)
        if n <= 5000 and time.perf_counter() - t_start < budget:
            acq = LogExpectedImprovement(model, best_f=Y.max())
            ms, _ = sync_time(lambda: optimize_acqf(acq, bounds=bounds, q=1, num_restarts=64, raw_samples=131072), 2)
            print(f"| maximize LogEI, 131072 raw, 64 starts | {n} | {ms:.0f} | |", flush=True)
        del model
        torch.cuda.empty_cache()
    print(f"\nbotorch peer: {time.perf_counter() - t_start:.1f} s")


if __name__ == "__main__":
    if not torch.cuda.is_available():
        print("botorch peer: no CUDA device", file=sys.stderr)
        sys.exit(2)
    main()
