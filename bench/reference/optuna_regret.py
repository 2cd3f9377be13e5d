# Used by: bench/regret/regret.ts (`npm run bench:regret -- --optuna`), which runs it in the same invocation.
"""Reference optimisation quality: Optuna's samplers on the problems in functions.py.

Prints, for every problem and sampler, the median and quartiles (over seeds) of the simple regret
(best value found minus the known minimum) after the problem's evaluation budget, and writes the
whole table as JSON. Run with Debian's python3 (python3-optuna 3.1, python3-cmaes):
    /usr/bin/python3 optuna_regret.py --seeds 10 --out optuna_regret.json
"""
import argparse
import json
import time

import numpy as np
import optuna

from functions import PROBLEMS

optuna.logging.set_verbosity(optuna.logging.WARNING)


def make_sampler(name, seed):
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "tpe-multivariate":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed)
    if name == "qmc":
        return optuna.samplers.QMCSampler(seed=seed, qmc_type="sobol", scramble=True)
    raise ValueError(name)


def run(problem, sampler_name, seed):
    fn, bounds, fmin, budget = PROBLEMS[problem]
    study = optuna.create_study(sampler=make_sampler(sampler_name, seed))

    def objective(trial):
        x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
        return fn(x)

    t0 = time.perf_counter()
    study.optimize(objective, n_trials=budget)
    elapsed = time.perf_counter() - t0
    return study.best_value - fmin, elapsed / budget


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--samplers", default="random,qmc,tpe,tpe-multivariate,cmaes")
    ap.add_argument("--problems", default=",".join(PROBLEMS))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    table = {}
    for problem in args.problems.split(","):
        for sampler in args.samplers.split(","):
            regrets, per_trial = zip(*(run(problem, sampler, s) for s in range(args.seeds)))
            q1, med, q3 = np.percentile(regrets, [25, 50, 75])
            table[f"{problem}/{sampler}"] = {
                "median": med, "q1": q1, "q3": q3, "regrets": list(regrets),
                "seconds_per_trial": float(np.median(per_trial)),
            }
            print(f"{problem:12s} {sampler:17s} median regret {med:10.4g} "
                  f"[{q1:.3g}, {q3:.3g}]  {1000 * np.median(per_trial):6.2f} ms/trial", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(table, f, indent=1)


if __name__ == "__main__":
    main()
