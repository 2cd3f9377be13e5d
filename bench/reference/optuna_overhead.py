# Used by: bench/overhead/overhead.ts (`npm run bench:overhead`), which runs it with /usr/bin/python3 in the same invocation.
"""Optuna's own per-trial overhead on this machine: random and TPE samplers, in memory and on SQLite,
1000 trials of a cheap 6-parameter objective. Also 4 processes sharing one SQLite study.
Run: /usr/bin/python3 optuna_overhead.py"""
import multiprocessing as mp
import os
import tempfile
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)


def objective(t):
    return sum((t.suggest_float(f"x{i}", -1, 1) - 0.1 * i) ** 2 for i in range(6))


def timed(sampler, storage, n):
    study = optuna.create_study(sampler=sampler, storage=storage)
    t = time.perf_counter()
    study.optimize(objective, n_trials=n)
    return (time.perf_counter() - t) / n * 1000


def worker(url):
    study = optuna.load_study(study_name="shared", storage=url, sampler=optuna.samplers.RandomSampler())
    study.optimize(objective, n_trials=50, catch=(Exception,))


if __name__ == "__main__":
    d = tempfile.mkdtemp()
    print(f"random memory  {timed(optuna.samplers.RandomSampler(seed=0), None, 1000):.3f} ms/trial")
    print(f"random sqlite  {timed(optuna.samplers.RandomSampler(seed=0), f'sqlite:///{d}/a.db', 1000):.3f} ms/trial")
    print(f"tpe    memory  {timed(optuna.samplers.TPESampler(seed=0), None, 1000):.3f} ms/trial (1000 trials)")
    url = f"sqlite:///{d}/shared.db"
    optuna.create_study(study_name="shared", storage=url)
    ps = [mp.Process(target=worker, args=(url,)) for _ in range(4)]
    t = time.perf_counter()
    [p.start() for p in ps]; [p.join() for p in ps]
    s = optuna.load_study(study_name="shared", storage=url)
    trials = s.get_trials(deepcopy=False)
    states = {}
    for tr in trials:
        states[tr.state.name] = states.get(tr.state.name, 0) + 1
    nums = {tr.number for tr in trials}
    print(f"4 processes x 50 on sqlite: {len(trials)} trials, {len(nums)} distinct numbers, states {states}, "
          f"{time.perf_counter() - t:.1f} s")
