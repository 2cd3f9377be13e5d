#include "lbfgsb.hpp"

#include <algorithm>
#include <cmath>
#include <deque>

namespace tunable {

namespace {

struct Pair {
  std::vector<double> s, y;  // (p)
  double rho;
};

struct State {
  std::vector<double> x, g, lo, hi;  // (p)
  std::vector<double> d, xt, gt;     // (p) direction, trial point, trial gradient
  std::deque<Pair> mem;
  double f = 0.0, ft = 0.0, t = 1.0, slope = 0.0;
  int iter = 0, ls = 0, evals = 0;
  bool in_search = false;
  LbfgsbStatus status = LbfgsbStatus::Running;
};

inline double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Chooses the next direction for a start; returns false when it has converged or stopped.
bool start_iteration(State& st, int p, const LbfgsbOptions& opt) {  // NOLINT
  std::vector<char> free(p);
  double pg = 0.0;
  for (int i = 0; i < p; ++i) {
    const double xi = st.x[i], gi = st.g[i];
    pg = std::max(pg, std::fabs(clampd(xi - gi, st.lo[i], st.hi[i]) - xi));
    const bool held = st.lo[i] >= st.hi[i] || (xi <= st.lo[i] && gi > 0.0) || (xi >= st.hi[i] && gi < 0.0);
    free[i] = held ? 0 : 1;
  }
  if (pg < opt.pgtol) {
    st.status = LbfgsbStatus::Converged;
    return false;
  }
  if (st.iter >= opt.max_iterations) {
    st.status = LbfgsbStatus::MaxIterations;
    return false;
  }
  // Two-loop recursion restricted to the free variables.
  std::vector<double> q(p);
  for (int i = 0; i < p; ++i) q[i] = free[i] ? st.g[i] : 0.0;
  const int m = static_cast<int>(st.mem.size());
  std::vector<double> a(m);
  auto dotf = [&](const std::vector<double>& u, const std::vector<double>& v) {
    double s = 0.0;
    for (int i = 0; i < p; ++i)
      if (free[i]) s += u[i] * v[i];
    return s;
  };
  for (int k = m - 1; k >= 0; --k) {
    const Pair& pr = st.mem[k];
    a[k] = pr.rho * dotf(pr.s, q);
    for (int i = 0; i < p; ++i)
      if (free[i]) q[i] -= a[k] * pr.y[i];
  }
  if (m > 0) {
    const Pair& last = st.mem.back();
    double yy = 0.0, sy = 0.0;
    for (int i = 0; i < p; ++i) {
      yy += last.y[i] * last.y[i];
      sy += last.s[i] * last.y[i];
    }
    const double gamma = yy > 0.0 ? sy / yy : 1.0;
    for (int i = 0; i < p; ++i) q[i] *= gamma;
  }
  for (int k = 0; k < m; ++k) {
    const Pair& pr = st.mem[k];
    const double b = pr.rho * dotf(pr.y, q);
    for (int i = 0; i < p; ++i)
      if (free[i]) q[i] += (a[k] - b) * pr.s[i];
  }
  double gd = 0.0, gn = 0.0, dn = 0.0;
  for (int i = 0; i < p; ++i) {
    st.d[i] = free[i] ? -q[i] : 0.0;
    gd += st.g[i] * st.d[i];
    gn += free[i] ? st.g[i] * st.g[i] : 0.0;
    dn += st.d[i] * st.d[i];
  }
  if (!(gd < -1e-12 * std::sqrt(gn * dn)) || !std::isfinite(gd)) {
    st.mem.clear();
    dn = 0.0;
    for (int i = 0; i < p; ++i) {
      st.d[i] = free[i] ? -st.g[i] : 0.0;
      dn += st.d[i] * st.d[i];
    }
  }
  double dmax = 0.0;
  for (int i = 0; i < p; ++i) dmax = std::max(dmax, std::fabs(st.d[i]));
  st.t = st.mem.empty() ? std::min({1.0, 1.0 / std::max(std::sqrt(dn), 1e-300), opt.first_step / std::max(dmax, 1e-300)}) : 1.0;
  st.ls = 0;
  st.in_search = true;
  return true;
}

void make_trial(State& st, int p) {
  st.slope = 0.0;
  for (int i = 0; i < p; ++i) {
    st.xt[i] = clampd(st.x[i] + st.t * st.d[i], st.lo[i], st.hi[i]);
    st.slope += st.g[i] * (st.xt[i] - st.x[i]);
  }
}

// Moves a start to its accepted trial point (st.ft, st.gt filled) and updates its memory.
void accept(State& st, int p, const LbfgsbOptions& opt) {
  Pair pr;
  pr.s.resize(p);
  pr.y.resize(p);
  double sy = 0.0, yy = 0.0;
  for (int i = 0; i < p; ++i) {
    pr.s[i] = st.xt[i] - st.x[i];
    pr.y[i] = st.gt[i] - st.g[i];
    sy += pr.s[i] * pr.y[i];
    yy += pr.y[i] * pr.y[i];
  }
  if (sy > 1e-10 * yy && sy > 0.0) {
    pr.rho = 1.0 / sy;
    st.mem.push_back(std::move(pr));
    if (static_cast<int>(st.mem.size()) > opt.memory) st.mem.pop_front();
  }
  const double fold = st.f;
  st.x = st.xt;
  st.f = st.ft;
  st.g = st.gt;
  ++st.iter;
  st.in_search = false;
  if (fold - st.f <= std::max(opt.ftol * std::max({std::fabs(fold), std::fabs(st.f), 1.0}), opt.fatol)) {
    st.status = LbfgsbStatus::Converged;
  }
}

}  // namespace

std::vector<LbfgsbResult> minimize_batched(const BatchObjective& fn, int starts, int p, const double* x0,
                                           const double* lo, const double* hi, const LbfgsbOptions& opt,
                                           int* batched_calls) {
  std::vector<State> states(starts);
  std::vector<double> X(static_cast<size_t>(starts) * p), F(starts), G(static_cast<size_t>(starts) * p);
  int calls = 0;
  for (int s = 0; s < starts; ++s) {
    State& st = states[s];
    st.lo.assign(lo + s * p, lo + (s + 1) * p);
    st.hi.assign(hi + s * p, hi + (s + 1) * p);
    st.x.resize(p);
    st.d.assign(p, 0.0);
    st.xt.assign(p, 0.0);
    st.gt.assign(p, 0.0);
    for (int i = 0; i < p; ++i) {
      st.x[i] = clampd(x0[s * p + i], st.lo[i], st.hi[i]);
      X[s * p + i] = st.x[i];
    }
  }
  fn(starts, X.data(), F.data(), G.data());
  ++calls;
  for (int s = 0; s < starts; ++s) {
    State& st = states[s];
    st.f = F[s];
    st.g.assign(G.begin() + s * p, G.begin() + (s + 1) * p);
    st.evals = 1;
    bool finite = std::isfinite(st.f);
    for (int i = 0; i < p && finite; ++i) finite = std::isfinite(st.g[i]);
    if (!finite) st.status = LbfgsbStatus::NonFinite;
  }
  std::vector<int> active, accepted;
  const bool lazy = opt.lazy_gradient;
  for (;;) {
    active.clear();
    for (int s = 0; s < starts; ++s) {
      State& st = states[s];
      if (st.status != LbfgsbStatus::Running) continue;
      if (!st.in_search && !start_iteration(st, p, opt)) continue;
      make_trial(st, p);
      // A quasi-Newton step whose predicted decrease is below the absolute tolerance: done.
      if (opt.fatol > 0.0 && !st.mem.empty() && st.ls == 0 && -st.slope < opt.fatol) {
        st.in_search = false;
        st.status = LbfgsbStatus::Converged;
        continue;
      }
      bool moved = false;
      for (int i = 0; i < p && !moved; ++i) moved = st.xt[i] != st.x[i];
      if (!moved) {
        st.status = LbfgsbStatus::Converged;
        continue;
      }
      std::copy(st.xt.begin(), st.xt.end(), X.begin() + active.size() * p);
      active.push_back(s);
    }
    if (active.empty()) break;
    const int k = static_cast<int>(active.size());
    fn(k, X.data(), F.data(), lazy ? nullptr : G.data());
    ++calls;
    accepted.clear();
    for (int a = 0; a < k; ++a) {
      State& st = states[active[a]];
      st.ft = F[a];
      if (!lazy) std::copy(G.begin() + a * p, G.begin() + (a + 1) * p, st.gt.begin());
      ++st.evals;
      bool finite = std::isfinite(st.ft);
      for (int i = 0; i < p && finite && !lazy; ++i) finite = std::isfinite(st.gt[i]);
      if (finite && st.ft <= st.f + 1e-4 * st.slope) {
        if (lazy)
          accepted.push_back(active[a]);
        else
          accept(st, p, opt);
        continue;
      }
      if (finite && -st.slope < opt.fatol) {
        // Backtracked to steps whose predicted decrease is negligible: no progress left to make.
        st.in_search = false;
        st.status = LbfgsbStatus::Converged;
        continue;
      }
      if (++st.ls >= opt.max_line_search) {
        st.in_search = false;
        if (!st.mem.empty()) {
          st.mem.clear();  // retry once from steepest descent
        } else {
          st.status = LbfgsbStatus::LineSearchFailed;
        }
        continue;
      }
      // Backtrack: safeguarded quadratic interpolation, or a large cut after a non-finite value.
      double tn = 0.1 * st.t;
      if (finite) {
        const double denom = 2.0 * (st.ft - st.f - st.slope);
        if (denom > 0.0) tn = -st.slope * st.t / denom;
        tn = clampd(tn, 0.1 * st.t, 0.5 * st.t);
      }
      st.t = tn;
    }
    if (!accepted.empty()) {
      // Lazy mode: gradients only where a step was accepted (a rejected trial cost a value only).
      const int ka = static_cast<int>(accepted.size());
      for (int a = 0; a < ka; ++a) {
        const State& st = states[accepted[a]];
        std::copy(st.xt.begin(), st.xt.end(), X.begin() + a * p);
      }
      fn(ka, X.data(), F.data(), G.data());
      ++calls;
      for (int a = 0; a < ka; ++a) {
        State& st = states[accepted[a]];
        std::copy(G.begin() + a * p, G.begin() + (a + 1) * p, st.gt.begin());
        bool finite = std::isfinite(F[a]);
        for (int i = 0; i < p && finite; ++i) finite = std::isfinite(st.gt[i]);
        if (!finite) {
          st.in_search = false;
          st.status = LbfgsbStatus::NonFinite;
          continue;
        }
        st.ft = F[a];
        accept(st, p, opt);
      }
    }
  }
  if (batched_calls) *batched_calls = calls;
  std::vector<LbfgsbResult> out(starts);
  for (int s = 0; s < starts; ++s) {
    out[s].x = states[s].x;
    out[s].f = states[s].f;
    out[s].iterations = states[s].iter;
    out[s].evaluations = states[s].evals;
    out[s].status = states[s].status;
  }
  return out;
}

}  // namespace tunable
