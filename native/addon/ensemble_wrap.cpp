#include "ensemble_wrap.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../core/ensemble.hpp"
#include "convert.hpp"
#include "enums.hpp"
#include "errors.hpp"
#include "gp_wrap.hpp"
#include "worker.hpp"

namespace tunable {
namespace addon {

namespace {
// The members of one call, read on the main thread. The worker holds the models (dispose() during the
// call is safe) and the plain EnsembleMember records; `handles` keeps the member GPs' JS objects alive
// until the worker is deleted, on the main thread.
struct Members {
  std::vector<std::shared_ptr<GPModel>> models;  // one per member (a model may appear twice)
  std::vector<EnsembleMember> members;
  std::shared_ptr<std::vector<Napi::ObjectReference>> handles;
  bool memory_check = true;  // every member's debug.memoryCheck
  bool profile = false;      // some member's debug.profile
};

std::string at(uint32_t i, const char* key) { return "members[" + std::to_string(i) + "]." + key; }

// The seam's own guards (TypeScript checked every member: src/engine/ensemble.ts); they keep a stale or
// hand-made call from indexing outside a row.
Members read_members(const Napi::Value& v, int d) {
  Napi::Env env = v.Env();
  if (!v.IsArray() || v.As<Napi::Array>().Length() == 0) throw seam_error(env, "expected a non-empty array for `members`");
  Napi::Array a = v.As<Napi::Array>();
  Members out;
  out.handles = std::make_shared<std::vector<Napi::ObjectReference>>();
  int pending = 0;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value e = a.Get(i);
    if (!e.IsObject()) throw seam_error(env, "expected an object for `members[" + std::to_string(i) + "]`");
    Napi::Object o = e.As<Napi::Object>();
    Napi::Value gv = field(o, "gp");
    GPWrap* w = GPWrap::instance(gv);
    if (!w) throw seam_error(env, "expected a GP for `" + at(i, "gp") + "`");
    std::shared_ptr<GPModel> m = w->model(env);
    EnsembleMember mb;
    mb.model = m.get();
    mb.weight = number_field(o, "weight");
    if (!(mb.weight >= 0 && std::isfinite(mb.weight))) throw seam_error(env, "expected a finite number >= 0 for `" + at(i, "weight") + "`");
    const std::vector<double> dims = vector_field(o, "dims");  // (member's d) ensemble columns
    if (static_cast<int>(dims.size()) != m->d()) throw seam_error(env, "`" + at(i, "dims") + "` needs one entry per column of its GP");
    for (double c : dims) {
      if (!(c >= 0 && c < d) || c != std::floor(c)) throw seam_error(env, "`" + at(i, "dims") + "` holds a column outside [0, d)");
      mb.dims.push_back(static_cast<int>(c));
    }
    mb.pending = bool_field(o, "pending");
    pending += mb.pending ? 1 : 0;
    out.memory_check = out.memory_check && w->memory_check();
    out.profile = out.profile || w->profile();
    out.models.push_back(std::move(m));
    out.members.push_back(std::move(mb));
    out.handles->push_back(Napi::Persistent(gv.As<Napi::Object>()));
  }
  if (pending > 1) throw seam_error(env, "at most one member may hold the pending points");
  return out;
}

// Every distinct member model's mutex, locked in address order: two calls on overlapping ensembles
// (or a call on one member model) then never wait on each other in a cycle.
class LockAll {
 public:
  explicit LockAll(const std::vector<std::shared_ptr<GPModel>>& models) {
    std::vector<GPModel*> ms;
    for (const auto& m : models) ms.push_back(m.get());
    std::sort(ms.begin(), ms.end(), std::less<GPModel*>());
    ms.erase(std::unique(ms.begin(), ms.end()), ms.end());
    for (GPModel* m : ms) locks_.emplace_back(m->mutex());
  }

 private:
  std::vector<std::unique_lock<std::mutex>> locks_;
};

// Queues `body(members)` with every member model locked and the memory check in force (as run_on_model
// does for one model, gp_wrap.cpp); `done` builds the result on the main thread.
template <class Body>
Napi::Value run_on_members(Napi::Env env, const Members& mem, Body body, std::function<Napi::Value(Napi::Env)> done,
                           const char* name, Clock::time_point entry) {
  auto handles = mem.handles;
  return TaskWorker::Run(
      env,
      [models = mem.models, members = mem.members, check = mem.memory_check, body = std::move(body)] {
        MemoryCheckScope scope(check);
        LockAll lock(models);
        body(members);
      },
      [handles, done = std::move(done)](Napi::Env e) { return done(e); }, mem.profile ? name : nullptr, entry);
}

// { d, acquisition, best, beta, pending: Float64Array (q, d), rawSamples, restarts, seed, maxIterations,
//   integer: (d) grids, categorical: (d) grids, incumbent: Float64Array (d) or empty }
EnsembleOptions read_options(const Napi::Object& o, int d) {
  EnsembleOptions opt;
  AcqOptions& a = opt.acq;
  a.type = enum_field(o, "acquisition", kAcqNames, kAcqs);
  a.best = number_field(o, "best");  // NaN only with UCB, which does not read it
  if (std::isnan(a.best) && a.type != AcqType::UCB) throw seam_error(o.Env(), "`best` is required for this acquisition");
  a.beta = number_field(o, "beta");
  a.pending = vector_field(o, "pending");
  if (a.pending.size() % static_cast<size_t>(d) != 0) throw seam_error(o.Env(), "`pending` is not a whole number of rows of d entries");
  a.fantasy = FantasyType::Mean;
  a.raw_samples = int_field(o, "rawSamples", 1, 1 << 30);
  a.restarts = int_field(o, "restarts", 1, 1 << 30);
  a.seed = seed_field(o, "seed");
  a.max_iterations = int_field(o, "maxIterations", 1, 1 << 30);
  a.integer_grids = grids_field(o, "integer", d);
  opt.categorical_grids = grids_field(o, "categorical", d);
  opt.incumbent = vector_field(o, "incumbent");
  if (!opt.incumbent.empty() && opt.incumbent.size() != static_cast<size_t>(d)) throw seam_error(o.Env(), "`incumbent` needs d entries (or none)");
  return opt;
}
}  // namespace

Napi::Value MaximizeEnsemble(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    Napi::Object o = options_arg(info, 1, "maximizeEnsemble");
    const int d = int_field(o, "d", 1, 1 << 20);
    const Members mem = read_members(info[0], d);
    const EnsembleOptions opt = read_options(o, d);
    bool has_pending_member = false;
    for (const EnsembleMember& m : mem.members) has_pending_member = has_pending_member || m.pending;
    if (!opt.acq.pending.empty() && !has_pending_member) throw seam_error(info.Env(), "`pending` needs a member that holds it");
    auto res = std::make_shared<AcqResult>();
    return run_on_members(
        info.Env(), mem,
        [opt, res, d](const std::vector<EnsembleMember>& members) { *res = maximize_ensemble(members, d, opt); },
        [res](Napi::Env env) -> Napi::Value { return GPWrap::acq_result(env, *res); },
        "maximizeEnsemble", entry);
  });
}

Napi::Value PredictEnsemble(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Clock::time_point entry = Clock::now();
    if (info.Length() < 3 || !info[2].IsNumber()) throw seam_error(info.Env(), "predictEnsemble(members, Xc, d)");
    const double dv = info[2].As<Napi::Number>().DoubleValue();
    if (!(dv >= 1 && dv <= (1 << 20)) || dv != std::floor(dv)) throw seam_error(info.Env(), "expected an integer >= 1 for `d`");
    const int d = static_cast<int>(dv);
    const Members mem = read_members(info[0], d);
    auto Xc = to_pooled(info[1], "Xc");  // (m, d)
    if (Xc->size() % static_cast<size_t>(d) != 0) throw seam_error(info.Env(), "`Xc` is not a whole number of rows of d entries");
    const int m = static_cast<int>(Xc->size() / static_cast<size_t>(d));
    auto mean = std::make_shared<OutArray>(info.Env(), m);
    auto var = std::make_shared<OutArray>(info.Env(), m);
    return run_on_members(
        info.Env(), mem,
        [Xc, mean, var, m, d](const std::vector<EnsembleMember>& members) {
          predict_ensemble(members, d, m, Xc->data(), mean->data(), var->data());
        },
        [mean, var](Napi::Env env) -> Napi::Value {
          Napi::Object r = Napi::Object::New(env);
          r.Set("mean", mean->value());
          r.Set("variance", var->value());
          return r;
        },
        "predictEnsemble", entry);
  });
}

}  // namespace addon
}  // namespace tunable
