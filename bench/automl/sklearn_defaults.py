"""scikit-learn's HistGradientBoosting*, RandomForest* and LogisticRegression/Ridge at their default
hyperparameters, fitted on one CSV and scored on another (the target is the last column). Prints one
JSON object: {model: {"seconds": fit seconds, metric: value, ...}}.

Usage: /usr/bin/python3 sklearn_defaults.py TRAIN.csv TEST.csv binary|multiclass|regression [SEED]

The models need numbers, so the columns are prepared as a user of scikit-learn would at least: a column
whose non-empty cells all parse as numbers is numeric (empty = NaN), any other is one-hot encoded on the
training levels (empty is a level of its own). HistGradientBoosting reads NaN itself; the others get
median imputation, and the linear models standard scaling as well (their solvers assume it).
"""
import csv
import json
import sys
import time

import numpy as np
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, mean_squared_error, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def read(path):
    with open(path, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def encode(header, train, test):
    """(X_train, X_test) float matrices: numeric columns as they are, the others one-hot."""
    cols_tr, cols_te = [], []
    for j in range(len(header) - 1):
        tr = [r[j] for r in train]
        te = [r[j] for r in test]
        if all(v == '' or is_number(v) for v in tr + te):
            cols_tr.append(np.array([float(v) if v != '' else np.nan for v in tr])[:, None])
            cols_te.append(np.array([float(v) if v != '' else np.nan for v in te])[:, None])
        else:
            levels = sorted(set(tr))
            cols_tr.append(np.array([[1.0 if v == l else 0.0 for l in levels] for v in tr]))
            cols_te.append(np.array([[1.0 if v == l else 0.0 for l in levels] for v in te]))
    return np.hstack(cols_tr), np.hstack(cols_te)


def main():
    train_path, test_path, task = sys.argv[1], sys.argv[2], sys.argv[3]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    header, train = read(train_path)
    _, test = read(test_path)
    X_tr, X_te = encode(header, train, test)
    if task == 'regression':
        y_tr = np.array([float(r[-1]) for r in train])
        y_te = np.array([float(r[-1]) for r in test])
        models = {
            'HistGradientBoostingRegressor': HistGradientBoostingRegressor(random_state=seed),
            'RandomForestRegressor': make_pipeline(SimpleImputer(strategy='median'), RandomForestRegressor(random_state=seed)),
            'Ridge': make_pipeline(SimpleImputer(strategy='median'), StandardScaler(), Ridge()),
        }
    else:
        y_tr = np.array([r[-1] for r in train])
        y_te = np.array([r[-1] for r in test])
        models = {
            'HistGradientBoostingClassifier': HistGradientBoostingClassifier(random_state=seed),
            'RandomForestClassifier': make_pipeline(SimpleImputer(strategy='median'), RandomForestClassifier(random_state=seed)),
            'LogisticRegression': make_pipeline(SimpleImputer(strategy='median'), StandardScaler(), LogisticRegression()),
        }
    out = {}
    for name, model in models.items():
        t0 = time.perf_counter()
        model.fit(X_tr, y_tr)
        seconds = time.perf_counter() - t0
        if task == 'regression':
            p = model.predict(X_te)
            out[name] = {'seconds': seconds, 'rmse': float(np.sqrt(mean_squared_error(y_te, p))),
                         'mae': float(mean_absolute_error(y_te, p)), 'r2': float(r2_score(y_te, p))}
        else:
            proba = model.predict_proba(X_te)
            out[name] = {'seconds': seconds, 'accuracy': float(accuracy_score(y_te, model.predict(X_te))),
                         'log_loss': float(log_loss(y_te, proba, labels=model.classes_))}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
