#include "gbdt_wrap.hpp"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../gbdt/gbdt.hpp"
#include "convert.hpp"
#include "errors.hpp"
#include "worker.hpp"

namespace tunable {
namespace addon {

namespace {
const char* const kTaskNames[] = {"regression", "binary", "multiclass"};
const gbdt::Task kTasks[] = {gbdt::Task::Regression, gbdt::Task::Binary, gbdt::Task::Multiclass};

// A Float64Array field of integers (node indices, features) as ints.
std::vector<int> int_vector_field(const Napi::Object& o, const char* key) {
  const std::vector<double> v = vector_field(o, key);
  std::vector<int> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!(v[i] >= -1 && v[i] <= 2147483647.0) || v[i] != std::floor(v[i]))
      throw seam_error(o.Env(), std::string("expected integers >= -1 in `") + key + "`");
    out[i] = static_cast<int>(v[i]);
  }
  return out;
}

gbdt::FitParams parse_fit(const Napi::Object& o) {
  gbdt::FitParams p;
  p.task = enum_field(o, "task", kTaskNames, kTasks);
  p.n_classes = int_field(o, "nClasses", 1, 1 << 20);
  p.learning_rate = number_field(o, "learningRate");
  p.max_iter = int_field(o, "maxIter", 0, 1 << 30);
  p.max_leaf_nodes = int_field(o, "maxLeafNodes", 2, 1 << 30);
  p.max_depth = int_field(o, "maxDepth", 0, 1 << 30);  // 0 = none
  p.min_samples_leaf = int_field(o, "minSamplesLeaf", 1, 1 << 30);
  p.l2_regularization = number_field(o, "l2Regularization");
  p.max_bins = int_field(o, "maxBins", 2, 255);
  p.early_stopping = bool_field(o, "earlyStopping");
  p.validation_fraction = number_field(o, "validationFraction");
  p.n_iter_no_change = int_field(o, "nIterNoChange", 1, 1 << 30);
  p.tol = number_field(o, "tol");
  p.seed = seed_field(o, "seed");
  p.threads = int_field(o, "threads", 1, 1024);
  if (!(p.learning_rate > 0) || !(p.l2_regularization >= 0) || !(p.validation_fraction > 0 && p.validation_fraction < 1))
    throw seam_error(o.Env(), "`learningRate`, `l2Regularization` or `validationFraction` out of range");
  if (p.task == gbdt::Task::Multiclass && p.n_classes < 2) throw seam_error(o.Env(), "multiclass needs `nClasses` >= 2");
  return p;
}

Napi::Float64Array ints(Napi::Env env, const std::vector<int>& v) {
  Napi::Float64Array a = new_float64(env, v.size(), "a result array");
  for (std::size_t i = 0; i < v.size(); ++i) a[i] = v[i];
  return a;
}
}  // namespace

Napi::Value GbdtFit(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() < 4) throw seam_error(env, "gbdtFit(X, y, w, options)");
    const Napi::Object o = options_arg(info, 3, "options");
    const double nd = number_field(o, "n");
    const int d = int_field(o, "d", 1, 1 << 24);
    if (!(nd >= 1 && nd <= 4294967295.0) || nd != std::floor(nd)) throw seam_error(env, "expected an integer n in [1, 2^32)");
    const std::size_t n = static_cast<std::size_t>(nd);
    const gbdt::FitParams p = parse_fit(o);
    auto X = to_pooled(info[0], "X");
    if (X->size() != n * static_cast<std::size_t>(d)) throw seam_error(env, "`X` does not hold n × d entries");
    auto y = std::make_shared<std::vector<double>>(to_vector(info[1], "y"));
    auto w = std::make_shared<std::vector<double>>(to_vector(info[2], "w"));
    if (y->size() != n || (!w->empty() && w->size() != n)) throw seam_error(env, "`y` and `w` need n entries (`w` may be empty)");
    const int k = p.task == gbdt::Task::Binary ? 2 : p.n_classes;
    if (p.task != gbdt::Task::Regression)
      for (double v : *y)
        if (!(v >= 0 && v < k) || v != std::floor(v)) throw seam_error(env, "`y` holds a label outside 0..k-1");
    auto res = std::make_shared<gbdt::FitResult>();
    return TaskWorker::Run(
        env,
        [X, y, w, p, n, d, res] { *res = gbdt::fit(X->data(), n, d, y->data(), w->empty() ? nullptr : w->data(), p); },
        [res](Napi::Env env) -> Napi::Value {
          const gbdt::Model& m = res->model;
          Napi::Object r = Napi::Object::New(env);
          r.Set("nIter", m.n_iter);
          r.Set("baseline", to_array(env, m.baseline));
          r.Set("treeOffsets", ints(env, m.tree_offsets));
          r.Set("feature", ints(env, m.feature));
          r.Set("threshold", to_array(env, m.threshold));
          r.Set("missingLeft", ints(env, std::vector<int>(m.missing_left.begin(), m.missing_left.end())));
          r.Set("left", ints(env, m.left));
          r.Set("right", ints(env, m.right));
          r.Set("value", to_array(env, m.value));
          r.Set("gain", to_array(env, m.gain));
          r.Set("count", to_array(env, m.count));
          r.Set("trainLoss", to_array(env, res->train_loss));
          r.Set("validationLoss", to_array(env, res->validation_loss));
          return r;
        });
  });
}

Napi::Value GbdtPredict(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[2].IsNumber()) throw seam_error(env, "gbdtPredict(model, X, threads)");
    const Napi::Object o = options_arg(info, 0, "model");
    auto m = std::make_shared<gbdt::Model>();
    m->n_features = int_field(o, "nFeatures", 1, 1 << 24);
    m->outputs = int_field(o, "outputs", 1, 1 << 20);
    m->baseline = vector_field(o, "baseline");
    m->tree_offsets = int_vector_field(o, "treeOffsets");
    m->feature = int_vector_field(o, "feature");
    m->threshold = vector_field(o, "threshold");
    const std::vector<int> ml = int_vector_field(o, "missingLeft");
    m->missing_left.assign(ml.begin(), ml.end());
    m->left = int_vector_field(o, "left");
    m->right = int_vector_field(o, "right");
    m->value = vector_field(o, "value");
    try {
      gbdt::check_model(*m);
    } catch (const std::invalid_argument& e) {
      throw seam_error(env, e.what());
    }
    const double t = info[2].As<Napi::Number>().DoubleValue();
    if (!(t >= 1 && t <= 1024) || t != std::floor(t)) throw seam_error(env, "expected an integer in [1, 1024] for `threads`");
    const int threads = static_cast<int>(t);
    auto X = to_pooled(info[1], "X");
    const std::size_t d = static_cast<std::size_t>(m->n_features);
    if (X->size() % d != 0) throw seam_error(env, "`X` is not a whole number of rows of d entries");
    const std::size_t n = X->size() / d;
    auto out = std::make_shared<OutArray>(env, n * static_cast<std::size_t>(m->outputs));
    return TaskWorker::Run(
        env, [m, X, n, threads, out] { gbdt::predict_raw(*m, X->data(), n, threads, out->data()); },
        [out](Napi::Env) -> Napi::Value { return out->value(); });
  });
}

}  // namespace addon
}  // namespace tunable
