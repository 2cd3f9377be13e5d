# Used by: no bench script runs it; it reproduces the PostgreSQL table of README.md here.
"""Anchor for distributed studies: Optuna 3.1's RDB storage on the local PostgreSQL.
W worker processes each run T trials of a cheap 6-parameter objective (random sampler) on one
study; prints wall time, trials/s, and whether every trial number is present exactly once.
Usage: /usr/bin/python3 optuna_pg.py [workers=1,4,8,16,32] [trials_per_worker=50] [url]"""
import multiprocessing as mp
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
workers = [int(w) for w in (sys.argv[1] if len(sys.argv) > 1 else "1,4,8,16,32").split(",")]
per = int(sys.argv[2]) if len(sys.argv) > 2 else 50
url = sys.argv[3] if len(sys.argv) > 3 else "postgresql+psycopg2://root@127.0.0.1:5432/test"


def objective(t):
    return sum((t.suggest_float(f"x{i}", -5, 5) - 1) ** 2 for i in range(6))


def work(name, seed):
    st = optuna.load_study(study_name=name, storage=url, sampler=optuna.samplers.RandomSampler(seed=seed))
    st.optimize(objective, n_trials=per)


if __name__ == "__main__":
    mp.set_start_method("fork")
    for w in workers:
        name = f"anchor-pg-{w}-{int(time.time())}"
        optuna.create_study(study_name=name, storage=url)
        t = time.perf_counter()
        ps = [mp.Process(target=work, args=(name, s)) for s in range(w)]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
        dt = time.perf_counter() - t
        trials = optuna.load_study(study_name=name, storage=url).get_trials(deepcopy=False)
        nums = sorted(tr.number for tr in trials)
        ok = nums == list(range(w * per)) and all(tr.state.name == "COMPLETE" for tr in trials)
        print(f"workers {w:2d} x {per}: {dt:6.2f} s, {w * per / dt:7.1f} trials/s, "
              f"{len(trials)} trials, numbers exactly once: {ok}", flush=True)
        optuna.delete_study(study_name=name, storage=url)
