#include "gp_wrap.hpp"

#include <cmath>
#include <limits>
#include <mutex>

#include "convert.hpp"
#include "enums.hpp"
#include "errors.hpp"
#ifdef TUNABLE_WITH_CUDA
#include "../cuda/cuda_backend.hpp"
#endif
#include "worker.hpp"

namespace tunable {
namespace addon {

namespace {
// Queues `body(model)` on the libuv pool with the model's lock held and the model's memory check
// (debug.memoryCheck, MemoryCheckScope) in force; `done` builds the result on the main thread (worker.hpp).
template <class Body>
Napi::Value run_on_model(Napi::Env env, std::shared_ptr<GPModel> m, bool memory_check, Body body,
                         std::function<Napi::Value(Napi::Env)> done, const char* label = nullptr,
                         Clock::time_point entry = Clock::time_point()) {
  return TaskWorker::Run(
      env,
      [m = std::move(m), memory_check, body = std::move(body)] {
        MemoryCheckScope scope(memory_check);
        std::lock_guard<std::mutex> lock(m->mutex());
        body(*m);
      },
      std::move(done), label, entry);
}

// { acquisition, best, beta, pending, fantasy, rawSamples, restarts, seed, integer, maxIterations, float32 }
AcqOptions parse_acq(const Napi::Object& o, int d) {
  AcqOptions a;
  a.type = enum_field(o, "acquisition", kAcqNames, kAcqs);
  a.best = number_field(o, "best");  // NaN = max(y)
  a.beta = number_field(o, "beta");
  a.pending = vector_field(o, "pending");  // (q, d); empty = none
  if (a.pending.size() % static_cast<size_t>(d) != 0) throw seam_error(o.Env(), "`pending` is not a whole number of rows of d entries");
  a.fantasy = enum_field(o, "fantasy", kFantasyNames, kFantasies);
  a.raw_samples = int_field(o, "rawSamples", 1, 1 << 30);
  a.restarts = int_field(o, "restarts", 1, 1 << 30);
  a.seed = seed_field(o, "seed");
  a.integer_grids = grids_field(o, "integer", d);
  a.max_iterations = int_field(o, "maxIterations", 1, 1 << 30);
  a.float32_raw = bool_field(o, "float32");
  return a;
}

// A positional boolean argument (`what` names it in errors).
bool bool_arg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsBoolean())
    throw seam_error(info.Env(), std::string("expected a boolean for `") + what + "` but received " +
                                     (info.Length() <= index ? "nothing" : type_name(info[index])));
  return info[index].As<Napi::Boolean>().Value();
}

// debug.<key>: an integer in [lo, hi], or null for `measured` (the backend's own constant).
int tuning_field(const Napi::Object& o, const char* key, int lo, int hi, int measured) {
  if (field(o, key).IsNull()) return measured;
  return int_field(o, key, lo, hi);
}

// fitGP's `debug` option: { profile, memoryCheck, solve, solveBlock, batchMaxN, potrfBatchedMaxN }.
struct Debug {
  bool profile, memory_check;
#ifdef TUNABLE_WITH_CUDA
  cuda::Tuning cuda;
#endif
};

Debug parse_debug(const Napi::Object& init) {
  Napi::Value v = field(init, "debug");
  if (!v.IsObject()) throw wrong_type(v, "debug", "an object");
  Napi::Object o = v.As<Napi::Object>();
  Debug dbg;
  dbg.profile = bool_field(o, "profile");
  dbg.memory_check = bool_field(o, "memoryCheck");
  // Every field is read in every build, so a build without CUDA refuses the same objects.
  const bool cublas = enum_field(o, "solve", kSolveNames, kSolveCublas);
  int measured_block = 0, measured_batch = 0, measured_potrf = 0;
#ifdef TUNABLE_WITH_CUDA
  measured_block = cuda::kSolveBlock;
  measured_batch = cuda::kBatchMaxN;
  measured_potrf = cuda::kPotrfBatchedMaxN;
#endif
  const int block = tuning_field(o, "solveBlock", 32, 1024, measured_block);
  const int batch = tuning_field(o, "batchMaxN", 0, 1 << 30, measured_batch);
  const int potrf = tuning_field(o, "potrfBatchedMaxN", 0, 1 << 30, measured_potrf);
#ifdef TUNABLE_WITH_CUDA
  dbg.cuda.cublas_solve = cublas;
  dbg.cuda.solve_block = block;
  dbg.cuda.batch_max_n = batch;
  dbg.cuda.potrf_batched_max_n = potrf;
  dbg.cuda.profile = dbg.profile;
#else
  (void)cublas, (void)block, (void)batch, (void)potrf;
#endif
  return dbg;
}
}  // namespace

Napi::Function GPWrap::Init(Napi::Env env) {
  Napi::Function cls = DefineClass(env, "GP",
                                  {InstanceMethod("fit", &GPWrap::Fit), InstanceMethod("predict", &GPWrap::Predict),
                                   InstanceMethod("acquisition", &GPWrap::Acquisition),
                                   InstanceMethod("maximize", &GPWrap::Maximize),
                                   InstanceMethod("thompson", &GPWrap::Thompson),
                                   InstanceMethod("addObservation", &GPWrap::AddObservation),
                                   InstanceMethod("evaluate", &GPWrap::Evaluate),
                                   InstanceMethod("evaluateMany", &GPWrap::EvaluateMany),
                                   InstanceMethod("setThreads", &GPWrap::SetThreads),
                                   InstanceMethod("dispose", &GPWrap::Dispose)});
  // The class, per environment (worker threads load the addon again), for instance() checks.
  env.SetInstanceData<Napi::FunctionReference>(new Napi::FunctionReference(Napi::Persistent(cls)));
  return cls;
}

GPWrap* GPWrap::instance(const Napi::Value& v) {
  Napi::FunctionReference* cls = v.Env().GetInstanceData<Napi::FunctionReference>();
  if (!cls || !v.IsObject() || !v.As<Napi::Object>().InstanceOf(cls->Value())) return nullptr;
  return GPWrap::Unwrap(v.As<Napi::Object>());
}

Napi::Object GPWrap::acq_result(Napi::Env env, const AcqResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("x", to_array(env, r.x));
  o.Set("value", r.value);
  o.Set("warnings", to_strings(env, r.warnings));
  return o;
}

GPWrap::GPWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GPWrap>(info) {
  guarded(info.Env(), [&] { init(info); });
}

// new GP({ X, y, n, d, kernel, categorical, threads, backend, deviceMemoryLimit, debug }), every field required.
void GPWrap::init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = options_arg(info, 0, "GP");
  const int n = int_field(o, "n", 1, 1 << 30), d = int_field(o, "d", 1, 1 << 20);
  std::vector<double> X = vector_field(o, "X"), y = vector_field(o, "y");
  if (X.size() != static_cast<size_t>(n) * d || y.size() != static_cast<size_t>(n))
    throw seam_error(env, "inconsistent GP shapes: X has " + std::to_string(X.size()) + " entries and y " +
                              std::to_string(y.size()) + " for n = " + std::to_string(n) + ", d = " + std::to_string(d));
  const KernelType kernel = enum_field(o, "kernel", kKernelNames, kKernels);
  const std::string backend = string_field(o, "backend");
  const double cap = number_field(o, "deviceMemoryLimit");  // bytes; 0 = none (read in every build)
  if (!(cap >= 0)) throw seam_error(env, "expected a number >= 0 for `deviceMemoryLimit`");
  const int threads = int_field(o, "threads", 1, 1 << 20);
  auto cat = grids_field(o, "categorical", d);
  const Debug dbg = parse_debug(o);
  profile_ = dbg.profile;
  memory_check_ = dbg.memory_check;
  std::unique_ptr<Backend> be;
  if (backend == "cpu") {
    be = make_cpu_backend();
  } else if (backend == "cuda") {
#ifdef TUNABLE_WITH_CUDA
    be = make_cuda_backend(static_cast<size_t>(cap), dbg.cuda);
#else
    throw Error(codes::kUnavailable, "cuda: unavailable: this build has no CUDA backend");
#endif
  } else {
    throw seam_error(env, "unknown value '" + backend + "' for `backend` (expected one of 'cpu', 'cuda')");
  }
  // A CUDA backend uploads the data here (cudaMalloc may fail: a coded error, through guarded()).
  MemoryCheckScope scope(memory_check_);
  model_ = std::make_shared<GPModel>(std::move(be), kernel, n, d, X.data(), y.data(), std::move(cat), threads);
}

std::shared_ptr<GPModel> GPWrap::model(const Napi::Env& env) const {
  if (!model_) throw Napi::Error::New(env, "native: the GP was disposed");
  return model_;
}

Napi::Value GPWrap::Fit(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    auto m = model(info.Env());
    Napi::Object o = options_arg(info, 0, "fit");
    const int p = num_hyper(m->d());
    FitOptions opt;
    opt.restarts = int_field(o, "restarts", 0, 1 << 20);
    opt.seed = seed_field(o, "seed");
    opt.warm = vector_field(o, "warm");  // (p), or empty = none
    const std::vector<double> f = vector_field(o, "fixedMask");  // (p), or empty = none
    opt.fixed.assign(f.begin(), f.end());
    if ((!opt.warm.empty() && static_cast<int>(opt.warm.size()) != p) || (!f.empty() && static_cast<int>(f.size()) != p))
      throw seam_error(info.Env(), "`warm` and `fixedMask` need " + std::to_string(p) + " entries (or none)");
    opt.fixed_all = bool_field(o, "fixedAll");
    opt.max_iterations = int_field(o, "maxIterations", 0, 1 << 30);  // 0 = the schedule's
    opt.keep = int_field(o, "keep", 0, 1 << 20);  // 0 = the schedule's
    opt.noise_floor = number_field(o, "noiseFloor");
    if (!(opt.noise_floor > 0)) throw seam_error(info.Env(), "expected a number > 0 for `noiseFloor`");
    auto res = std::make_shared<FitResult>();
    return run_on_model(
        info.Env(), m, memory_check_,
        [opt, res](GPModel& model) {
          *res = model.fit(opt);
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
        label("fit"), entry);
  });
}

// predict(Xc: Float64Array (m, d), { gradient, covariance, float32 })
Napi::Value GPWrap::Predict(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    auto m = model(info.Env());
    auto Xc = to_pooled(info[0], "Xc");
    Napi::Object o = options_arg(info, 1, "predict");
    const bool grad = bool_field(o, "gradient"), cov = bool_field(o, "covariance");
    const bool f32 = bool_field(o, "float32");
    if (f32 && (grad || cov)) throw seam_error(info.Env(), "float32 prediction has no gradient or covariance");
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
    return run_on_model(
        env, m, memory_check_,
        [Xc, out, grad, cov, f32, mc](GPModel& model) {
          if (f32) {
            model.predict_f32(mc, Xc->data(), out->mean.data(), out->var.data());
            return;
          }
          model.predict(mc, Xc->data(), out->mean.data(), out->var.data(), grad ? out->dmean->data() : nullptr,
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
            model.covariance(mc, Xc->data(), out->cov.data());
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
        label("predict"), entry);
  });
}

// acquisition(Xc: Float64Array (m, d), acqOptions (parse_acq), gradient: boolean)
Napi::Value GPWrap::Acquisition(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    auto m = model(info.Env());
    auto Xc = to_pooled(info[0], "Xc");
    const int d = m->d(), mc = static_cast<int>(Xc->size()) / d;
    const AcqOptions opt = parse_acq(options_arg(info, 1, "acquisition"), d);
    const bool grad = bool_arg(info, 2, "gradient");
    auto val = std::make_shared<OutArray>(info.Env(), mc);
    auto g = std::make_shared<OutArray>(info.Env(), grad ? static_cast<size_t>(mc) * d : 0);
    return run_on_model(
        info.Env(), m, memory_check_,
        [Xc, opt, val, g, grad, mc](GPModel& model) {
          model.acquisition(opt, mc, Xc->data(), val->data(), grad ? g->data() : nullptr);
        },
        [val, g, grad](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("value", val->value());
          if (grad) r.Set("gradient", g->value());
          return r;
        },
        label("acquisition"), entry);
  });
}

Napi::Value GPWrap::Maximize(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    auto m = model(info.Env());
    const AcqOptions opt = parse_acq(options_arg(info, 0, "maximize"), m->d());
    auto res = std::make_shared<AcqResult>();
    return run_on_model(
        info.Env(), m, memory_check_,
        [opt, res](GPModel& model) {
          *res = model.maximize(opt);
        },
        [res](Napi::Env env) -> Napi::Value { return acq_result(env, *res); },
        label("maximize"), entry);
  });
}

// thompson({ q, candidates, seed, pending: Float64Array (p, d) (empty = none), integer: (d) grids })
Napi::Value GPWrap::Thompson(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    auto m = model(info.Env());
    Napi::Object o = options_arg(info, 0, "thompson");
    ThompsonOptions opt;
    opt.q = int_field(o, "q", 1, 1 << 30);
    opt.candidates = int_field(o, "candidates", 1, 1 << 30);
    opt.seed = seed_field(o, "seed");
    opt.pending = vector_field(o, "pending");
    if (opt.pending.size() % static_cast<size_t>(m->d()) != 0) throw seam_error(info.Env(), "`pending` is not a whole number of rows of d entries");
    opt.integer_grids = grids_field(o, "integer", m->d());
    if (opt.candidates < opt.q) throw seam_error(info.Env(), "need q <= candidates");
    auto res = std::make_shared<ThompsonResult>();
    return run_on_model(
        info.Env(), m, memory_check_,
        [opt, res](GPModel& model) {
          *res = model.thompson(opt);
        },
        [res](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("x", to_array(env, res->x));
          r.Set("values", to_array(env, res->values));
          r.Set("jitter", res->jitter);
          r.Set("warnings", to_strings(env, res->warnings));
          return r;
        },
        label("thompson"), entry);
  });
}

Napi::Value GPWrap::AddObservation(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto m = model(info.Env());
    auto x = std::make_shared<std::vector<double>>(to_vector(info[0], "x"));
    if (info.Length() < 2 || !info[1].IsNumber()) throw seam_error(info.Env(), "expected a number for `y`");
    const double y = info[1].As<Napi::Number>().DoubleValue();
    if (static_cast<int>(x->size()) != m->d()) throw seam_error(info.Env(), "`x` has the wrong length");
    auto warnings = std::make_shared<std::vector<std::string>>();
    auto lml = std::make_shared<double>(0.0);
    return run_on_model(
        info.Env(), m, memory_check_,
        [x, y, warnings, lml](GPModel& model) {
          *warnings = model.add_observation(x->data(), y);
          *lml = model.lml();
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
    const bool prior = bool_arg(info, 1, "withPrior");
    if (static_cast<int>(theta->size()) != num_hyper(m->d())) throw seam_error(info.Env(), "`theta` has the wrong length");
    auto value = std::make_shared<double>(0.0);
    auto grad = std::make_shared<std::vector<double>>(theta->size());
    return run_on_model(
        info.Env(), m, memory_check_,
        [theta, prior, value, grad](GPModel& model) {
          *value = model.evaluate(*theta, prior, grad->data());
        },
        [value, grad](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("value", *value);
          r.Set("gradient", to_array(env, *grad));
          return r;
        });
  });
}

// evaluateMany(theta: Float64Array (s, p), withPrior: boolean) → { values (s), gradients (s, p) }
Napi::Value GPWrap::EvaluateMany(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    auto m = model(info.Env());
    auto theta = std::make_shared<std::vector<double>>(to_vector(info[0], "theta"));
    const bool prior = bool_arg(info, 1, "withPrior");
    const size_t p = static_cast<size_t>(num_hyper(m->d()));
    if (theta->size() % p != 0) throw seam_error(info.Env(), "`theta` is not a whole number of vectors");
    const int s = static_cast<int>(theta->size() / p);
    auto values = std::make_shared<OutArray>(info.Env(), s);
    auto grads = std::make_shared<OutArray>(info.Env(), theta->size());
    return run_on_model(
        info.Env(), m, memory_check_,
        [theta, prior, values, grads, s](GPModel& model) {
          model.evaluate_many(s, theta->data(), prior, values->data(), grads->data());
        },
        [values, grads](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("values", values->value());
          r.Set("gradients", grads->value());
          return r;
        },
        label("evaluateMany"), entry);
  });
}

Napi::Value GPWrap::SetThreads(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto m = model(info.Env());
    if (info.Length() < 1 || !info[0].IsNumber() || !(info[0].As<Napi::Number>().DoubleValue() >= 1))
      throw seam_error(info.Env(), "expected an integer >= 1 for `threads`");
    const int t = info[0].As<Napi::Number>().Int32Value();
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
