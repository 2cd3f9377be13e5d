"""Optuna's fANOVA on the same inputs as tunable's, for test/importance/optuna.test.ts.

Usage (with a Python that has optuna 3.1 and scikit-learn, e.g. Debian's /usr/bin/python3):

    optuna_importances.py study STUDY.json [SEED]
        STUDY.json holds a StudyJSON (src/trial/json.ts). Its COMPLETE trials are replayed into an
        in-memory Optuna study; prints {"importances": [[name, importance], ...]} from
        optuna.importance.get_param_importances with FanovaImportanceEvaluator(seed=SEED), in
        Optuna's order (descending).

    optuna_importances.py trees TREES.json
        TREES.json holds {"bounds": (c, 2), "groups": [[column, ...], ...], "trees": [{"feature",
        "threshold", "left", "right", "value"}, ...]} (trees fitted by tunable, leaves with
        feature -1). Each is handed to Optuna's _FanovaTree; prints [{"variance": v, "marginals":
        [per group]}, ...].
"""

import json
import sys

import numpy
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.importance import FanovaImportanceEvaluator, get_param_importances
from optuna.importance._fanova._tree import _FanovaTree


def distribution(d):
    if d["type"] == "float":
        return FloatDistribution(d["low"], d["high"], log=d["log"], step=d["step"])
    if d["type"] == "int":
        return IntDistribution(d["low"], d["high"], log=d["log"], step=d["step"])
    if d["type"] == "categorical":
        return CategoricalDistribution(d["choices"])
    raise ValueError("unknown distribution type: %r" % (d["type"],))


def study_importances(path, seed):
    with open(path) as f:
        data = json.load(f)
    directions = [str(d).lower() for d in data["directions"]]
    study = optuna.create_study(directions=directions)
    trials = []
    for t in data["trials"]:
        if t["state"] != "COMPLETE":
            continue
        trials.append(
            optuna.trial.create_trial(
                params=t["params"],
                distributions={k: distribution(v) for k, v in t["distributions"].items()},
                values=t["values"],
            )
        )
    study.add_trials(trials)
    target = (lambda t: t.values[0]) if len(directions) > 1 else None
    result = get_param_importances(
        study, evaluator=FanovaImportanceEvaluator(seed=seed), target=target
    )
    return {"importances": [[k, float(v)] for k, v in result.items()]}


class _Tree:
    """The attributes of sklearn.tree._tree.Tree that _FanovaTree reads."""

    def __init__(self, t, n_features):
        self.feature = numpy.array([f if f >= 0 else -2 for f in t["feature"]], dtype=numpy.int64)
        self.threshold = numpy.array(t["threshold"], dtype=numpy.float64)
        self.children_left = numpy.array(t["left"], dtype=numpy.int64)
        self.children_right = numpy.array(t["right"], dtype=numpy.int64)
        self.value = numpy.array(t["value"], dtype=numpy.float64).reshape(-1, 1, 1)
        self.node_count = len(t["feature"])
        self.n_features = n_features


def tree_decompositions(path):
    with open(path) as f:
        data = json.load(f)
    bounds = numpy.array(data["bounds"], dtype=numpy.float64).reshape(-1, 2)
    out = []
    for t in data["trees"]:
        tree = _FanovaTree(_Tree(t, bounds.shape[0]), bounds)
        out.append(
            {
                "variance": float(tree.variance),
                "marginals": [
                    float(tree.get_marginal_variance(numpy.array(g))) for g in data["groups"]
                ],
            }
        )
    return out


def main(argv):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if len(argv) >= 2 and argv[0] == "study":
        seed = int(argv[2]) if len(argv) > 2 else 0
        print(json.dumps(study_importances(argv[1], seed)))
    elif len(argv) == 2 and argv[0] == "trees":
        print(json.dumps(tree_decompositions(argv[1])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
