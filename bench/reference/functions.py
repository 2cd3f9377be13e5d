# Used by: bench/regret/regret.ts (`npm run bench:regret`), through bench/reference/optuna_regret.py, which imports it; bench/regret/functions.ts is its TypeScript twin.
"""Standard synthetic test functions (minimisation) with their domains and known optima.

Used by the reference runs of peers (Optuna) so that the project's own benchmarks can optimise
exactly the same problems and compare.
"""
import math

import numpy as np


def branin(x):
    x1, x2 = x
    a, b, c = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(x):
    x = np.asarray(x)
    return float(-np.sum(_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def ackley(x):
    x = np.asarray(x)
    d = len(x)
    return float(-20 * math.exp(-0.2 * math.sqrt(np.sum(x ** 2) / d))
                 - math.exp(np.sum(np.cos(2 * math.pi * x)) / d) + 20 + math.e)


def rosenbrock(x):
    x = np.asarray(x)
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


# name: (function, bounds per dimension, known minimum, evaluation budget)
PROBLEMS = {
    "branin": (branin, [(-5, 10), (0, 15)], 0.397887, 60),
    "hartmann6": (hartmann6, [(0, 1)] * 6, -3.32237, 100),
    "ackley5": (ackley, [(-32.768, 32.768)] * 5, 0.0, 100),
    "rosenbrock4": (rosenbrock, [(-5, 10)] * 4, 0.0, 100),
}
