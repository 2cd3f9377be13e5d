"""Writes test/fixtures/sobol.json: the first 64 points of the *unscrambled* Sobol' sequence from SciPy
(scipy.stats.qmc.Sobol(d, scramble=False).random(64)) for d in {1, 2, 6, 40}, plus points 1000..1015 of
d = 40 (fast_forward) to exercise higher Gray-code bits. Floats are written with repr, so they round-trip
exactly. Run with Debian's python3 (python3-scipy):
  /usr/bin/python3 scripts/make_sobol_fixture.py
"""
import json
import os

import scipy
import scipy.stats

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = {"scipy": scipy.__version__, "n": 64, "cases": []}
for d in (1, 2, 6, 40):
    eng = scipy.stats.qmc.Sobol(d, scramble=False)
    out["cases"].append({"d": d, "start": 0, "points": eng.random(64).tolist()})
eng = scipy.stats.qmc.Sobol(40, scramble=False)
eng.fast_forward(1000)
out["cases"].append({"d": 40, "start": 1000, "points": eng.random(16).tolist()})
path = os.path.join(root, "test", "fixtures", "sobol.json")
with open(path, "w") as f:
    json.dump(out, f)
    f.write("\n")
print("wrote", path)
