#include "gp_wrap.hpp"

#include <cmath>
#include <limits>
#include <mutex>

#include "convert.hpp"
#include "errors.hpp"
#ifdef TUNABLE_WITH_CUDA
#include "../cuda/cuda_backend.hpp"
#endif
#include "worker.hpp"

namespace tunable {
namespace addon {

namespace {
AcqOptions parse_acq(const Napi::Object& o, int d) {
  AcqOptions a;
  a.type = static_cast<AcqType>(inum(o, "type", 0));
  a.best = num(o, "best", std::numeric_limits<double>::quiet_NaN());
  a.beta = num(o, "beta", 2.0);
  if (o.Get("pending").IsTypedArray()) a.pending = to_vector(o.Get("pending"), "pending");
  a.raw_samples = inum(o, "rawSamples", 1024);
  a.restarts = inum(o, "restarts", 10);
  a.seed = seed_of(o, "seed");
  a.integer_grids = grids(o.Get("integer"), d, "integer");
  a.max_iterations = inum(o, "maxIterations", 200);
  a.float32_raw = o.Get("float32").ToBoolean().Value();
  return a;
}
}  // namespace

Napi::Function GPWrap::Init(Napi::Env env) {
  return DefineClass(env, "GP",
                     {InstanceMethod("fit", &GPWrap::Fit), InstanceMethod("predict", &GPWrap::Predict),
                      InstanceMethod("acquisition", &GPWrap::Acquisition),
                      InstanceMethod("maximize", &GPWrap::Maximize),
                      InstanceMethod("thompson", &GPWrap::Thompson),
                      InstanceMethod("addObservation", &GPWrap::AddObservation),
                      InstanceMethod("evaluate", &GPWrap::Evaluate),
                      InstanceMethod("evaluateMany", &GPWrap::EvaluateMany),
                      InstanceMethod("setThreads", &GPWrap::SetThreads),
                      InstanceMethod("dispose", &GPWrap::Dispose)});
}

GPWrap::GPWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GPWrap>(info) {
  guarded(info.Env(), [&] { init(info); });
}

void GPWrap::init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "native: GP expects an options object");
  Napi::Object o = info[0].As<Napi::Object>();
  const int n = inum(o, "n", 0), d = inum(o, "d", 0);
  std::vector<double> X = to_vector(o.Get("X"), "X"), y = to_vector(o.Get("y"), "y");
  if (n < 1 || d < 1 || X.size() != static_cast<size_t>(n) * d || y.size() != static_cast<size_t>(n))
    throw Napi::RangeError::New(env, "native: inconsistent GP shapes");
  const KernelType kernel = inum(o, "kernel", 0) == 1 ? KernelType::RBF : KernelType::Matern52;
  const std::string backend = o.Get("backend").IsString() ? o.Get("backend").As<Napi::String>().Utf8Value() : "cpu";
  std::unique_ptr<Backend> be;
  if (backend == "cpu") {
    be = make_cpu_backend();
  } else if (backend == "cuda") {
#ifdef TUNABLE_WITH_CUDA
    const double cap = num(o, "deviceMemoryLimit", 0.0);
    be = make_cuda_backend(cap > 0.0 ? static_cast<size_t>(cap) : 0);
#else
    throw Error(codes::kUnavailable, "cuda: unavailable: this build has no CUDA backend");
#endif
  } else {
    throw Error(codes::kUnavailable, "native: backend unavailable: " + backend);
  }
  auto cat = grids(o.Get("categorical"), d, "categorical");
  // A CUDA backend uploads the data here (cudaMalloc may fail: a coded error, through guarded()).
  model_ = std::make_shared<GPModel>(std::move(be), kernel, n, d, X.data(), y.data(), std::move(cat),
                                     std::max(1, inum(o, "threads", 1)));
}

std::shared_ptr<GPModel> GPWrap::model(const Napi::Env& env) const {
  if (!model_) throw Napi::Error::New(env, "native: the GP was disposed");
  return model_;
}

Napi::Value GPWrap::Fit(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    auto m = model(info.Env());
    Napi::Object o = info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(info.Env());
    FitOptions opt;
    opt.restarts = inum(o, "restarts", 4);
    opt.seed = seed_of(o, "seed");
    if (o.Get("warm").IsTypedArray()) opt.warm = to_vector(o.Get("warm"), "warm");
    if (o.Get("fixedMask").IsTypedArray()) {
      const std::vector<double> f = to_vector(o.Get("fixedMask"), "fixedMask");
      opt.fixed.assign(f.begin(), f.end());
    }
    opt.fixed_all = o.Get("fixedAll").ToBoolean().Value();
    opt.max_iterations = inum(o, "maxIterations", 0);
    opt.keep = inum(o, "keep", 0);
    opt.noise_floor = num(o, "noiseFloor", 1e-6);
    auto res = std::make_shared<FitResult>();
    return TaskWorker::Run(
        info.Env(),
        [m, opt, res] {
          std::lock_guard<std::mutex> lock(m->mutex());
          *res = m->fit(opt);
        },
        [res](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("theta", to_array(env, res->theta));
          r.Set("lml", res->lml);
          r.Set("logPrior", res->log_prior);
          r.Set("jitter", res->jitter);
          r.Set("iterations", res->iterations);
          r.Set("evaluations", res->evaluations);
          r.Set("batchedCalls", res->batched_calls);
          r.Set("starts", res->starts);
          r.Set("optimized", res->optimized);
          r.Set("warnings", to_strings(env, res->warnings));
          return r;
        },
        "fit", entry);
  });
}

// predict(Xc: Float64Array (m·d), { gradient, covariance, float32 })
Napi::Value GPWrap::Predict(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    auto m = model(info.Env());
    auto Xc = to_pooled(info[0], "Xc");
    Napi::Object o = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(info.Env());
    const bool grad = o.Get("gradient").ToBoolean().Value(), cov = o.Get("covariance").ToBoolean().Value();
    const bool f32 = o.Get("float32").ToBoolean().Value();
    if (f32 && (grad || cov)) throw Napi::RangeError::New(info.Env(), "native: float32 prediction has no gradient or covariance");
    const int d = m->d(), mc = static_cast<int>(Xc->size()) / d;
    const size_t md = static_cast<size_t>(mc) * d;
    Napi::Env env = info.Env();
    struct Out {
      OutArray mean, var;
      std::unique_ptr<OutArray> dmean, dvar;
      std::vector<double> cov;
    };
    auto out = std::make_shared<Out>(Out{OutArray(env, mc), OutArray(env, mc), nullptr, nullptr, {}});
    if (grad) {
      out->dmean = std::make_unique<OutArray>(env, md);
      out->dvar = std::make_unique<OutArray>(env, md);
    }
    return TaskWorker::Run(
        env,
        [m, Xc, out, grad, cov, f32, mc] {
          std::lock_guard<std::mutex> lock(m->mutex());
          if (f32) {
            m->predict_f32(mc, Xc->data(), out->mean.data(), out->var.data());
            return;
          }
          m->predict(mc, Xc->data(), out->mean.data(), out->var.data(), grad ? out->dmean->data() : nullptr,
                     grad ? out->dvar->data() : nullptr);
          if (cov) {
            // (m, m) here and again as the result array.
            const size_t bytes = bytes_of(static_cast<size_t>(mc), static_cast<size_t>(mc), sizeof(double), 2);
            require_host_memory(bytes, "the (m, m) posterior covariance and its result array");
            try {
              out->cov.resize(static_cast<size_t>(mc) * mc);
            } catch (const std::bad_alloc&) {
              throw OutOfMemory(bytes / 2, "the (m, m) posterior covariance");
            }
            m->covariance(mc, Xc->data(), out->cov.data());
          }
        },
        [out, grad, cov](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("mean", out->mean.value());
          r.Set("variance", out->var.value());
          if (grad) {
            r.Set("meanGradient", out->dmean->value());
            r.Set("varianceGradient", out->dvar->value());
          }
          if (cov) r.Set("covariance", to_array(env, out->cov));
          return r;
        },
        "predict", entry);
  });
}

// acquisition(Xc: Float64Array (m·d), acqOptions, gradient: boolean)
Napi::Value GPWrap::Acquisition(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    auto m = model(info.Env());
    auto Xc = to_pooled(info[0], "Xc");
    const int d = m->d(), mc = static_cast<int>(Xc->size()) / d;
    const AcqOptions opt = parse_acq(info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(info.Env()), d);
    const bool grad = info[2].ToBoolean().Value();
    auto val = std::make_shared<OutArray>(info.Env(), mc);
    auto g = std::make_shared<OutArray>(info.Env(), grad ? static_cast<size_t>(mc) * d : 0);
    return TaskWorker::Run(
        info.Env(),
        [m, Xc, opt, val, g, grad, mc] {
          std::lock_guard<std::mutex> lock(m->mutex());
          m->acquisition(opt, mc, Xc->data(), val->data(), grad ? g->data() : nullptr);
        },
        [val, g, grad](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("value", val->value());
          if (grad) r.Set("gradient", g->value());
          return r;
        },
        "acquisition", entry);
  });
}

Napi::Value GPWrap::Maximize(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    auto m = model(info.Env());
    const AcqOptions opt =
        parse_acq(info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(info.Env()), m->d());
    auto res = std::make_shared<AcqResult>();
    return TaskWorker::Run(
        info.Env(),
        [m, opt, res] {
          std::lock_guard<std::mutex> lock(m->mutex());
          *res = m->maximize(opt);
        },
        [res](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("x", to_array(env, res->x));
          r.Set("value", res->value);
          r.Set("warnings", to_strings(env, res->warnings));
          return r;
        },
        "maximize", entry);
  });
}

// thompson({ q, candidates, seed, pending?: Float64Array (p·d), integer: (d) grids })
Napi::Value GPWrap::Thompson(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    auto m = model(info.Env());
    Napi::Object o = info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(info.Env());
    ThompsonOptions opt;
    opt.q = inum(o, "q", 1);
    opt.candidates = inum(o, "candidates", 1024);
    opt.seed = seed_of(o, "seed");
    if (o.Get("pending").IsTypedArray()) opt.pending = to_vector(o.Get("pending"), "pending");
    opt.integer_grids = grids(o.Get("integer"), m->d(), "integer");
    if (opt.q < 1 || opt.candidates < opt.q) throw Napi::RangeError::New(info.Env(), "native: need 1 <= q <= candidates");
    auto res = std::make_shared<ThompsonResult>();
    return TaskWorker::Run(
        info.Env(),
        [m, opt, res] {
          std::lock_guard<std::mutex> lock(m->mutex());
          *res = m->thompson(opt);
        },
        [res](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("x", to_array(env, res->x));
          r.Set("values", to_array(env, res->values));
          r.Set("jitter", res->jitter);
          r.Set("warnings", to_strings(env, res->warnings));
          return r;
        },
        "thompson", entry);
  });
}

Napi::Value GPWrap::AddObservation(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto m = model(info.Env());
    auto x = std::make_shared<std::vector<double>>(to_vector(info[0], "x"));
    const double y = info[1].As<Napi::Number>().DoubleValue();
    if (static_cast<int>(x->size()) != m->d()) throw Napi::RangeError::New(info.Env(), "native: x has the wrong length");
    auto warnings = std::make_shared<std::vector<std::string>>();
    auto lml = std::make_shared<double>(0.0);
    return TaskWorker::Run(
        info.Env(),
        [m, x, y, warnings, lml] {
          std::lock_guard<std::mutex> lock(m->mutex());
          *warnings = m->add_observation(x->data(), y);
          *lml = m->lml();
        },
        [warnings, lml](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("warnings", to_strings(env, *warnings));
          r.Set("lml", *lml);
          return r;
        });
  });
}

// evaluate(theta: Float64Array (p), withPrior: boolean) → { value, gradient }
Napi::Value GPWrap::Evaluate(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto m = model(info.Env());
    auto theta = std::make_shared<std::vector<double>>(to_vector(info[0], "theta"));
    const bool prior = info[1].ToBoolean().Value();
    if (static_cast<int>(theta->size()) != num_hyper(m->d()))
      throw Napi::RangeError::New(info.Env(), "native: theta has the wrong length");
    auto value = std::make_shared<double>(0.0);
    auto grad = std::make_shared<std::vector<double>>(theta->size());
    return TaskWorker::Run(
        info.Env(),
        [m, theta, prior, value, grad] {
          std::lock_guard<std::mutex> lock(m->mutex());
          *value = m->evaluate(*theta, prior, grad->data());
        },
        [value, grad](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("value", *value);
          r.Set("gradient", to_array(env, *grad));
          return r;
        });
  });
}

// evaluateMany(theta: Float64Array (s·p), withPrior: boolean) → { values (s), gradients (s·p) }
Napi::Value GPWrap::EvaluateMany(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    auto m = model(info.Env());
    auto theta = std::make_shared<std::vector<double>>(to_vector(info[0], "theta"));
    const bool prior = info[1].ToBoolean().Value();
    const size_t p = static_cast<size_t>(num_hyper(m->d()));
    if (theta->size() % p != 0) throw Napi::RangeError::New(info.Env(), "native: theta is not a whole number of vectors");
    const int s = static_cast<int>(theta->size() / p);
    auto values = std::make_shared<OutArray>(info.Env(), s);
    auto grads = std::make_shared<OutArray>(info.Env(), theta->size());
    return TaskWorker::Run(
        info.Env(),
        [m, theta, prior, values, grads, s] {
          std::lock_guard<std::mutex> lock(m->mutex());
          m->evaluate_many(s, theta->data(), prior, values->data(), grads->data());
        },
        [values, grads](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("values", values->value());
          r.Set("gradients", grads->value());
          return r;
        },
        "evaluateMany", entry);
  });
}

Napi::Value GPWrap::SetThreads(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto m = model(info.Env());
    const int t = std::max(1, info[0].As<Napi::Number>().Int32Value());
    std::lock_guard<std::mutex> lock(m->mutex());
    m->set_threads(t);
    return info.Env().Undefined();
  });
}

Napi::Value GPWrap::Dispose(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    model_.reset();
    return info.Env().Undefined();
  });
}

}  // namespace addon
}  // namespace tunable
