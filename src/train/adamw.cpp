#include "train/adamw.h"

#include <cmath>
#include <numbers>

#include "core/thread_pool.h"

namespace dc::train {

double learning_rate(const AdamWOptions& o, int64_t step) {
  if (o.warmup_steps > 0 && step <= o.warmup_steps) return o.lr * double(step) / double(o.warmup_steps);
  const int64_t span = std::max<int64_t>(1, o.total_steps - o.warmup_steps);
  const double frac = std::min(1.0, double(step - o.warmup_steps) / double(span));
  const double floor = o.lr * o.min_lr_ratio;
  return floor + (o.lr - floor) * 0.5 * (1.0 + std::cos(std::numbers::pi * frac));
}

double global_grad_norm(const ModelParams& g) {
  double ss = 0;
  for (const ParamTensor& t : g.tensors)
    for (float x : t.data) ss += double(x) * double(x);
  return std::sqrt(ss);
}

AdamW::AdamW(const AdamWOptions& o, const ModelParams& like)
    : o_(o), m_(params_zeros(like.config)), v_(params_zeros(like.config)) {}

double AdamW::update(ModelParams& p, ModelParams& g, int64_t step, double grad_norm) {
  const double lr = learning_rate(o_, step);
  const float scale = (o_.clip > 0 && grad_norm > o_.clip) ? float(o_.clip / grad_norm) : 1.0f;
  const float b1 = float(o_.beta1), b2 = float(o_.beta2);
  const float c1 = float(1.0 / (1.0 - std::pow(o_.beta1, double(step))));
  const float c2 = float(1.0 / (1.0 - std::pow(o_.beta2, double(step))));
  const float flr = float(lr), eps = float(o_.eps);
  for (size_t i = 0; i < p.tensors.size(); ++i) {
    float* w = p.tensors[i].data.data();
    float* gr = g.tensors[i].data.data();
    float* m = m_.tensors[i].data.data();
    float* v = v_.tensors[i].data.data();
    const float wd = p.tensors[i].shape.size() == 2 ? float(o_.weight_decay) : 0.f;
    global_pool().parallel_for(
        int64_t(p.tensors[i].data.size()),
        [&](int64_t j0, int64_t j1, int) {
          for (int64_t j = j0; j < j1; ++j) {
            const float gj = gr[j] * scale;
            gr[j] = gj;
            m[j] = b1 * m[j] + (1.f - b1) * gj;
            v[j] = b2 * v[j] + (1.f - b2) * gj * gj;
            const float upd = (m[j] * c1) / (std::sqrt(v[j] * c2) + eps);
            w[j] -= flr * (upd + wd * w[j]);
          }
        },
        4096);
  }
  return lr;
}

}  // namespace dc::train
