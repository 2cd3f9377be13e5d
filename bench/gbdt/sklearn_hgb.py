"""scikit-learn's HistGradientBoosting* on the data sets bench/gbdt/bench.ts (and test/gbdt) wrote.

Usage: python3 sklearn_hgb.py SPEC.json. SPEC: {"dir", "repeats", "params": {max_iter, learning_rate,
max_leaf_nodes, min_samples_leaf, max_bins}, "datasets": [{"name", "task", "d", "ntrain", "ntest"}]}; each
data set's arrays are little-endian float64 files in dir: NAME.Xtrain (ntrain, d) row-major, NAME.ytrain,
NAME.Xtest, NAME.ytest. Prints one JSON list: per data set the fit times (s) of each repeat, n_iter_ and
the test accuracy (classification) or RMSE (regression). Threads: OMP_NUM_THREADS, as the caller set it.
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor


def load(d, name, shape):
    return np.fromfile(os.path.join(d, name), dtype="<f8").reshape(shape)


def main():
    spec = json.load(open(sys.argv[1]))
    d = spec["dir"]
    out = []
    for ds in spec["datasets"]:
        nm, k = ds["name"], ds["d"]
        Xtr = load(d, nm + ".Xtrain", (ds["ntrain"], k))
        ytr = load(d, nm + ".ytrain", (ds["ntrain"],))
        Xte = load(d, nm + ".Xtest", (ds["ntest"], k))
        yte = load(d, nm + ".ytest", (ds["ntest"],))
        est = HistGradientBoostingRegressor if ds["task"] == "regression" else HistGradientBoostingClassifier
        times = []
        for _ in range(spec["repeats"]):
            m = est(early_stopping=False, random_state=0, **spec["params"])
            t = time.perf_counter()
            m.fit(Xtr, ytr)
            times.append(time.perf_counter() - t)
        p = m.predict(Xte)
        row = {"name": nm, "fit_seconds": times, "n_iter": int(m.n_iter_)}
        if ds["task"] == "regression":
            row["rmse"] = float(np.sqrt(np.mean((p - yte) ** 2)))
        else:
            row["accuracy"] = float(np.mean(p == yte))
        out.append(row)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
