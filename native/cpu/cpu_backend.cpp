#include "cpu_backend.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "../core/kernels.hpp"
#include "../core/priors.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace tunable {

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<cpu::CpuBackend>(); }

namespace cpu {

namespace {
constexpr double kLog2Pi = 1.83787706640934548356;
// Output scales above this take apply_kernel's overflow-safe order (see there).
constexpr double kLargeScale = 1e300;
inline int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// e (m) ← 0 where a ≥ cap. Eigen's vectorised exp clamps its argument near −709 and gives ~1e-308 there
// instead of 0, which a far point's gradient (times its distance, up to 1e300) would turn into noise.
// Usually nothing is that far: one vectorised max decides, then a scalar pass only if needed.
void zero_beyond(const Eigen::Map<Eigen::ArrayXd>& a, Eigen::Map<Eigen::ArrayXd>& e, double cap) {
  if (!(a.maxCoeff() >= cap)) return;
  for (Eigen::Index i = 0; i < a.size(); ++i)
    if (a[i] >= cap) e[i] = 0.0;
}

// In place on v (m): r² → scale · k(r²); dk (m, nullable) ← dscale · k'(r²). Eigen's vectorised
// exp/sqrt (SIMD) instead of m scalar calls.
void apply_kernel(KernelType kt, double scale, double dscale, double* v, double* dk, Eigen::Index m) {
  if (m <= 0) return;
  Eigen::Map<Eigen::ArrayXd> a(v, m);
  // Scratch per thread in a std::vector: a failed resize leaves it valid (an Eigen array would keep a
  // freed pointer, see resize_or_throw). Aligned as an Eigen array is, so the vectorised exp covers
  // the same elements (a misaligned start is peeled off to the scalar exp, which rounds differently).
  thread_local std::vector<double, Eigen::aligned_allocator<double>> ebuf;
  ebuf.resize(static_cast<size_t>(m));
  Eigen::Map<Eigen::ArrayXd> e(ebuf.data(), m);
  if (kt == KernelType::RBF) {
    e = (-0.5 * a.max(0.0)).exp();
    zero_beyond(a, e, kRbfR2Max);
    a = scale * e;
    if (dk) Eigen::Map<Eigen::ArrayXd>(dk, m) = (-0.5 * dscale) * e;
    return;
  }
  // u = √5 r, capped where e^{-u} is 0 in double: a point far outside the data (r² = ∞) then gets
  // k = 0 and k' = 0 instead of ∞ · 0 = NaN.
  a = (5.0 * a.max(0.0)).sqrt().min(kMaternUMax);
  e = (-a).exp();
  zero_beyond(a, e, kMaternUMax);
  // scale · polynomial (≤ 2.2e5 at u = 800) overflows for output scales above ~8e302, even where e^{-u}
  // is 0: there the polynomial is multiplied by e^{-u} (≤ 1) first. Below, the usual order.
  if (std::max(std::fabs(scale), std::fabs(dscale)) > kLargeScale) {
    if (dk) Eigen::Map<Eigen::ArrayXd>(dk, m) = (-(5.0 / 6.0) * dscale) * ((1.0 + a) * e);
    a = scale * ((1.0 + a + a.square() * (1.0 / 3.0)) * e);
    return;
  }
  if (dk) Eigen::Map<Eigen::ArrayXd>(dk, m) = (-(5.0 / 6.0) * dscale) * (1.0 + a) * e;
  a = scale * (1.0 + a + a.square() * (1.0 / 3.0)) * e;
}

// C (m, m) += sf2 k(Xc_a, Xc_b): the prior covariance of the latent f at Xc (m, d) row-major.
template <class Out>
void add_prior_covariance(const Hyper& h, const GPSpec& spec, int m, const double* Xc, Out& C) {
  const int d = spec.d;
  for (int a = 0; a < m; ++a) {
    for (int b = 0; b < m; ++b) {
      double r2 = 0.0;
      for (int j = 0; j < d; ++j)
        r2 += h.w[j] * dim_term(spec.categorical[j] != 0, Xc[static_cast<size_t>(a) * d + j], Xc[static_cast<size_t>(b) * d + j]);
      C(a, b) += h.sf2 * kernel_value(spec.kernel, r2);
    }
  }
}
}  // namespace

void CpuBackend::set_data(const GPSpec& spec, int n, const double* X, const double* y) {
  // Everything is built aside and swapped in: a failed allocation leaves the backend as it was.
  const int d = spec.d;
  GPSpec sp = spec;
  std::vector<double> Xn(X, X + static_cast<size_t>(n) * d), Xt(static_cast<size_t>(n) * d);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) Xt[static_cast<size_t>(j) * n + i] = Xn[static_cast<size_t>(i) * d + j];
  Vec yn = Eigen::Map<const Vec>(y, n);
  std::swap(spec_, sp);
  n_ = n;
  d_ = d;
  X_.swap(Xn);
  Xt_.swap(Xt);
  y_.swap(yn);
  ready_ = false;
  ws_.clear();  // cached factors belong to the old data
  L_.resize(0, 0);
}

void CpuBackend::build_kernel(const Hyper& h, double jitter, Mat* K, Mat* Kp, int threads) const {
  const int n = n_;
  if (K) resize_or_throw(*K, n, n, "the (n, n) kernel matrix");
  if (Kp) resize_or_throw(*Kp, n, n, "the (n, n) kernel derivative matrix");
  const KernelType kt = spec_.kernel;
  RegionErrors errors;  // the per-thread scratch columns allocate
#pragma omp parallel for num_threads(threads) schedule(dynamic, 16) if (threads > 1 && n > 256)
  for (int b = 0; b < n; ++b) errors.run([&] {
    thread_local std::vector<double> scratch;
    double* col;  // column b of r²; rows a >= b used
    if (K) {
      col = K->data() + static_cast<size_t>(b) * n;
    } else {
      scratch.resize(n);
      col = scratch.data();
    }
    for (int a = b; a < n; ++a) col[a] = 0.0;
    for (int j = 0; j < d_; ++j) {
      const double* xj = &Xt_[static_cast<size_t>(j) * n];
      const double xb = xj[b], wj = h.w[j];
      if (spec_.categorical[j]) {
        for (int a = b + 1; a < n; ++a) col[a] += xj[a] == xb ? 0.0 : wj;
      } else {
        for (int a = b + 1; a < n; ++a) {
          const double t = xj[a] - xb;
          col[a] += wj * t * t;
        }
      }
    }
    double* pcol = Kp ? Kp->data() + static_cast<size_t>(b) * n : nullptr;
    apply_kernel(kt, h.sf2, 1.0, col + b + 1, pcol ? pcol + b + 1 : nullptr, n - b - 1);
    col[b] = h.sf2 + h.sn2 + jitter;
    if (pcol) pcol[b] = 0.0;
  });
  errors.rethrow();
}

double CpuBackend::factor(const Hyper& h, Mat& K, Mat* Kp, int threads) const {
  build_kernel(h, 0.0, &K, Kp, threads);
  if (cholesky_lower(K, threads)) return 0.0;
  const double md = h.sf2 + h.sn2;
  for (double rel = kJitterStart; rel <= kJitterMax * 1.0001; rel *= 10.0) {
    build_kernel(h, rel * md, &K, nullptr, threads);
    if (cholesky_lower(K, threads)) return rel * md;
  }
  return -1.0;
}

double CpuBackend::eval_one(const double* theta, double* grad, double* jitter_out, Workspace& w, int threads) const {
  const int n = n_, p = num_hyper(d_);
  const Hyper h = unpack(theta);
  // A gradient asked for right after a value at the same θ (the lazy line search) reuses the factor.
  const bool cached = grad && w.theta.size() == static_cast<size_t>(p) && w.K.rows() == n &&
                      std::equal(w.theta.begin(), w.theta.end(), theta);
  double jitter;
  if (cached) {
    jitter = w.jitter;
    build_kernel(h, 0.0, nullptr, &w.Kp, threads);
  } else {
    jitter = factor(h, w.K, grad ? &w.Kp : nullptr, threads);
  }
  if (jitter_out) *jitter_out = jitter;
  w.theta.clear();
  if (jitter >= 0.0) {
    w.theta.assign(theta, theta + p);
    w.jitter = jitter;
  }
  if (jitter < 0.0) {
    if (grad) std::fill(grad, grad + p, 0.0);
    return std::nan("");
  }
  auto L = w.K.triangularView<Eigen::Lower>();
  w.r = y_.array() - h.c;
  w.alpha = L.solve(w.r);
  const double quad = w.alpha.squaredNorm();
  L.transpose().solveInPlace(w.alpha);
  const double logdet = 2.0 * w.K.diagonal().array().log().sum();
  const double lml = -0.5 * quad - 0.5 * logdet - 0.5 * n * kLog2Pi;
  if (!grad) return lml;

  inverse_from_cholesky(w.K, w.Kinv, threads);
  const Vec& al = w.alpha;
  const double trKinv = w.Kinv.diagonal().sum();
  const double trW = al.squaredNorm() - trKinv;
  grad[d_] = 0.5 * (al.dot(w.r) - n - (h.sn2 + jitter) * trW);
  grad[d_ + 1] = 0.5 * h.sn2 * trW;
  grad[d_ + 2] = al.sum();
  // Lengthscales: g_j = -2 σ_f² / ℓ_j² Σ_{a>b} (α_a α_b - K⁻¹_ab) k'_ab s_j(a, b), one pass over the triangle.
  std::vector<double> acc(d_, 0.0);
  const int T = threads > 1 && n > 256 ? threads : 1;
  RegionErrors errors;  // per-thread accumulators (d) and a column (n) are allocated inside
#pragma omp parallel num_threads(T) if (T > 1)
  {
    std::vector<double> loc, v;
    errors.run([&] {
      loc.assign(d_, 0.0);
      v.resize(n);
    });
    // Every thread reaches the worksharing loop and the barrier at its end (no early exit from an
    // OpenMP region); a thread whose allocation failed only skips the work.
#pragma omp for schedule(dynamic, 16)
    for (int b = 0; b < n - 1; ++b) {
      if (errors.failed()) continue;
      const double* ki = w.Kinv.data() + static_cast<size_t>(b) * n;
      const double* kp = w.Kp.data() + static_cast<size_t>(b) * n;
      const double ab = al[b];
      for (int a = b + 1; a < n; ++a) v[a] = (al[a] * ab - ki[a]) * kp[a];
      for (int j = 0; j < d_; ++j) {
        const double* xj = &Xt_[static_cast<size_t>(j) * n];
        const double xb = xj[b];
        double s = 0.0;
        if (spec_.categorical[j]) {
#pragma omp simd reduction(+ : s)
          for (int a = b + 1; a < n; ++a) s += xj[a] == xb ? 0.0 : v[a];
        } else {
#pragma omp simd reduction(+ : s)
          for (int a = b + 1; a < n; ++a) {
            const double t = xj[a] - xb;
            s += v[a] * t * t;
          }
        }
        loc[j] += s;
      }
    }
#pragma omp critical
    if (!errors.failed())
      for (int j = 0; j < d_; ++j) acc[j] += loc[j];
  }
  errors.rethrow();
  for (int j = 0; j < d_; ++j) grad[j] = -2.0 * h.sf2 * h.w[j] * acc[j];
  return lml;
}

void CpuBackend::log_marginal_likelihood(int s, const double* theta, double* lml, double* grad, double* jitter) {
  const int p = num_hyper(d_);
  // Several starts and small matrices: one start per thread. Otherwise: starts in turn, threads inside.
  const bool across = s > 1 && threads_ > 1 && n_ <= 1200;
  const int slots = across ? std::min(threads_, s) : 1;
  reserve_workspaces(slots, grad != nullptr);
  RegionErrors errors;
#pragma omp parallel for num_threads(slots) schedule(dynamic, 1) if (across)
  for (int k = 0; k < s; ++k) errors.run([&] {
    Workspace& w = ws_[across ? thread_id() : 0];
    lml[k] = eval_one(theta + static_cast<size_t>(k) * p, grad ? grad + static_cast<size_t>(k) * p : nullptr,
                      jitter ? jitter + k : nullptr, w, across ? 1 : threads_);
  });
  if (errors.failed()) {
    ws_.clear();  // release what the failed call took; the model stays usable
    errors.rethrow();
  }
}

void CpuBackend::reserve_workspaces(int slots, bool grad) {
  if (static_cast<int>(ws_.size()) < slots) ws_.resize(slots);
  // Matrices this call will allocate: K in every slot, K⁻¹ and k' too with gradients.
  const auto missing = [&](const Mat& m) { return m.rows() == n_ && m.cols() == n_ ? 0 : 1; };
  int count = 0;
  for (int t = 0; t < slots; ++t) count += missing(ws_[t].K) + (grad ? missing(ws_[t].Kinv) + missing(ws_[t].Kp) : 0);
  if (count == 0) return;
  char what[96];
  std::snprintf(what, sizeof what, "the likelihood's %d (n, n) matrices at n = %d points", count, n_);
  require_host_memory(bytes_of(static_cast<size_t>(n_), static_cast<size_t>(n_), sizeof(double), count), what);
}

// alpha (n) = K⁻¹ (y − c) from the factor L (n, n); returns the quadratic form (y − c)ᵀ K⁻¹ (y − c).
// Into a fresh vector, swapped in by the caller: a failed allocation changes nothing.
double CpuBackend::solve_alpha(const Mat& L, const Vec& y, double c, Vec& alpha) {
  const auto Lt = L.triangularView<Eigen::Lower>();
  Vec r = y.array() - c;
  Vec a = Lt.solve(r);
  const double quad = a.squaredNorm();
  Lt.transpose().solveInPlace(a);
  alpha.swap(a);
  return quad;
}

void CpuBackend::refresh_alpha() {
  const double quad = solve_alpha(L_, y_, h_.c, alpha_);
  lml_ = -0.5 * quad - 0.5 * logdet_ - 0.5 * n_ * kLog2Pi;
}

double CpuBackend::condition(const double* theta) {
  // L_ is rewritten below: until it holds a whole factor again, nothing may use it (an allocation
  // failure would otherwise leave predictions reading an empty matrix).
  ready_ = false;
  h_ = unpack(theta);
  const int p = num_hyper(d_);
  double jitter;
  if (!ws_.empty() && ws_[0].theta.size() == static_cast<size_t>(p) && std::equal(ws_[0].theta.begin(), ws_[0].theta.end(), theta)) {
    // The last likelihood evaluation factorised exactly this θ (the optimiser's final point).
    L_.swap(ws_[0].K);
    jitter = ws_[0].jitter;
  } else {
    ws_.clear();  // the fitting workspaces go before the factor is allocated: a lower peak
    if (L_.rows() != n_ || L_.cols() != n_) {
      char what[80];
      std::snprintf(what, sizeof what, "the (n, n) Cholesky factor at n = %d points", n_);
      require_host_memory(bytes_of(static_cast<size_t>(n_), static_cast<size_t>(n_)), what);
    }
    jitter = factor(h_, L_, nullptr, threads_);
  }
  if (jitter < 0.0) {
    ready_ = false;
    return -1.0;
  }
  jitter_ = jitter;
  logdet_ = 2.0 * L_.diagonal().array().log().sum();
  refresh_alpha();
  ready_ = true;
  ws_.clear();  // release fitting workspaces
  return jitter;
}

void CpuBackend::cross_kernel(const Hyper& h, int m, const double* Xc, Mat& Ks, Mat* Kp) const {
  const int n = n_;
  resize_or_throw(Ks, n, m, "an (n, m) cross-kernel block");
  Ks.setZero();
  if (Kp) resize_or_throw(*Kp, n, m, "an (n, m) cross-kernel derivative block");
  for (int a = 0; a < m; ++a) {
    double* col = Ks.data() + static_cast<size_t>(a) * n;
    for (int j = 0; j < d_; ++j) {
      const double* xj = &Xt_[static_cast<size_t>(j) * n];
      const double xa = Xc[static_cast<size_t>(a) * d_ + j], wj = h.w[j];
      if (spec_.categorical[j]) {
        for (int i = 0; i < n; ++i) col[i] += xj[i] == xa ? 0.0 : wj;
      } else {
        for (int i = 0; i < n; ++i) {
          const double t = xj[i] - xa;
          col[i] += wj * t * t;
        }
      }
    }
    double* pcol = Kp ? Kp->data() + static_cast<size_t>(a) * n : nullptr;
    apply_kernel(spec_.kernel, h.sf2, h.sf2, col, pcol, n);
  }
}

void CpuBackend::posterior_chunk(int m, const double* Xc, double* mean, double* var, double* dmean,
                                 double* dvar) const {
  const bool grad = dmean || dvar;
  Mat Ks, Kp;
  cross_kernel(h_, m, Xc, Ks, grad ? &Kp : nullptr);
  Eigen::Map<Vec>(mean, m) = (Ks.transpose() * alpha_).array() + h_.c;
  const auto L = L_.triangularView<Eigen::Lower>();
  L.solveInPlace(Ks);  // V = L⁻¹ Ks (n, m)
  for (int a = 0; a < m; ++a) var[a] = std::max(0.0, h_.sf2 - Ks.col(a).squaredNorm());
  if (!grad) return;
  L.transpose().solveInPlace(Ks);  // W = K⁻¹ Ks (n, m)
  const int n = n_;
  for (int a = 0; a < m; ++a) {
    const double* kp = Kp.data() + static_cast<size_t>(a) * n;
    const double* wc = Ks.data() + static_cast<size_t>(a) * n;
    for (int j = 0; j < d_; ++j) {
      const size_t o = static_cast<size_t>(a) * d_ + j;
      if (spec_.categorical[j]) {
        if (dmean) dmean[o] = 0.0;
        if (dvar) dvar[o] = 0.0;
        continue;
      }
      const double* xj = &Xt_[static_cast<size_t>(j) * n];
      const double xa = Xc[o];
      double sm = 0.0, sv = 0.0;
#pragma omp simd reduction(+ : sm, sv)
      for (int i = 0; i < n; ++i) {
        const double t = kp[i] * (xa - xj[i]);
        sm += t * alpha_[i];
        sv += t * wc[i];
      }
      if (dmean) dmean[o] = 2.0 * h_.w[j] * sm;
      if (dvar) dvar[o] = -4.0 * h_.w[j] * sv;
    }
  }
}

void CpuBackend::posterior(int m, const double* Xc, double* mean, double* var, double* dmean, double* dvar) {
  if (!ready_) throw std::logic_error("backend is not conditioned");
  // Chunks of at most 256 points; small batches (an L-BFGS round) are split over the threads too.
  const int per = std::max(1, std::min(256, (m + threads_ - 1) / threads_));
  const int chunks = (m + per - 1) / per;
  const int T = std::min(threads_, chunks);
  RegionErrors errors;  // each chunk allocates its (n, chunk) blocks
#pragma omp parallel for num_threads(T) schedule(dynamic, 1) if (T > 1)
  for (int c = 0; c < chunks; ++c) errors.run([&] {
    const int a0 = c * per, mc = std::min(per, m - a0);
    const size_t o = static_cast<size_t>(a0) * d_;
    posterior_chunk(mc, Xc + o, mean + a0, var + a0, dmean ? dmean + o : nullptr, dvar ? dvar + o : nullptr);
  });
  errors.rethrow();
}

void CpuBackend::posterior_f32(int m, const double* Xc, double* mean, double* var) {
  if (!ready_) throw std::logic_error("backend is not conditioned");
  using MatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
  const MatF Lf = L_.cast<float>();  // (n, n)
  const int per = 1024;
  for (int a0 = 0; a0 < m; a0 += per) {
    const int mc = std::min(per, m - a0);
    Mat Ks;
    cross_kernel(h_, mc, Xc + static_cast<size_t>(a0) * d_, Ks, nullptr);
    MatF V = Ks.cast<float>();  // (n, mc)
    // mean: float32 kernel values, float64 sums (as the CUDA version).
    for (int a = 0; a < mc; ++a) mean[a0 + a] = V.col(a).cast<double>().dot(alpha_) + h_.c;
    Lf.triangularView<Eigen::Lower>().solveInPlace(V);
    for (int a = 0; a < mc; ++a) var[a0 + a] = std::max(0.0, h_.sf2 - V.col(a).cast<double>().squaredNorm());
  }
}

void CpuBackend::posterior_covariance(int m, const double* Xc, double* cov) {
  if (!ready_) throw std::logic_error("backend is not conditioned");
  Mat Ks;
  cross_kernel(h_, m, Xc, Ks, nullptr);
  L_.triangularView<Eigen::Lower>().solveInPlace(Ks);
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> C(cov, m, m);
  C.noalias() = -Ks.transpose() * Ks;
  add_prior_covariance(h_, spec_, m, Xc, C);
}

bool CpuBackend::append_observations(int q, const double* Xq, const double* yq) {
  if (!ready_) return false;
  if (q <= 0) return true;
  const int n = n_, nq = n + q;
  Mat B;
  cross_kernel(h_, q, Xq, B, nullptr);  // (n, q)
  L_.triangularView<Eigen::Lower>().solveInPlace(B);
  // S (q, q) = K(Xq, Xq) + (σ_n² + jitter) I − BᵀB, then its factor C in place.
  Mat S = -B.transpose() * B;
  add_prior_covariance(h_, spec_, q, Xq, S);
  S.diagonal().array() += h_.sn2 + jitter_;
  if (!block_cholesky(q, S.data(), 1e-12 * (h_.sf2 + h_.sn2 + jitter_))) return false;
  // The extended factor, data and α are built aside and swapped in at the end: a failed allocation
  // leaves the backend as it was (still conditioned on the old data).
  Mat L;
  resize_or_throw(L, nq, nq, "the extended (n, n) Cholesky factor");
  L.topLeftCorner(n, n) = L_;
  L.bottomLeftCorner(q, n) = B.transpose();
  L.topRightCorner(n, q).setZero();
  L.bottomRightCorner(q, q) = S;
  const double logdet = logdet_ + 2.0 * S.diagonal().array().log().sum();
  std::vector<double> X(X_);
  X.insert(X.end(), Xq, Xq + static_cast<size_t>(q) * d_);
  Vec yy(nq);
  yy.head(n) = y_;
  for (int a = 0; a < q; ++a) yy[n + a] = yq[a];
  Vec alpha;
  const double quad = solve_alpha(L, yy, h_.c, alpha);
  set_data(spec_, nq, X.data(), yy.data());  // the last step that allocates; it commits only at its end
  L_.swap(L);
  alpha_.swap(alpha);
  logdet_ = logdet;
  lml_ = -0.5 * quad - 0.5 * logdet_ - 0.5 * n_ * kLog2Pi;
  ready_ = true;
  return true;
}

}  // namespace cpu
}  // namespace tunable
