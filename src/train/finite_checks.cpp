#include "train/finite_checks.h"

#include <cmath>

#include "core/error.h"
#include "train/trainer.h"

namespace dc::train {

void check_hyper_parameters(const TrainOptions& o) {
  const AdamWOptions& a = o.adam;
  auto nonneg = [](double v, const char* what) {
    if (!(std::isfinite(v) && v >= 0)) throw_error("train: {} must be a finite number >= 0, got {}", what, v);
  };
  nonneg(a.lr, "the learning rate");
  nonneg(a.weight_decay, "the weight decay");
  nonneg(a.clip, "the gradient clip");
  if (!(a.min_lr_ratio >= 0 && a.min_lr_ratio <= 1))
    throw_error("train: min_lr_ratio must lie in [0, 1], got {}", a.min_lr_ratio);
  if (!(a.beta1 >= 0 && a.beta1 < 1) || !(a.beta2 >= 0 && a.beta2 < 1))
    throw_error("train: Adam betas must lie in [0, 1), got {} and {}", a.beta1, a.beta2);
  if (!(std::isfinite(a.eps) && a.eps > 0))
    throw_error("train: Adam eps must be a finite number > 0, got {}", a.eps);
  if (!(o.mask_eps > 0 && o.mask_eps < 1))
    throw_error("train: mask_eps must lie strictly between 0 and 1, got {}", o.mask_eps);
}

void check_step_finite(int64_t step, double loss, double grad_norm, const std::string& checkpoint) {
  if (std::isfinite(loss) && std::isfinite(grad_norm)) return;
  throw_error(
      "train: step {}: the {} became {}; stopped before updating the weights ({})", step,
      std::isfinite(loss) ? "gradient norm" : "loss", std::isfinite(loss) ? grad_norm : loss,
      checkpoint.empty() ? std::string("no checkpoint was written") : "last good checkpoint: " + checkpoint);
}

bool all_finite(const ModelParams& params) {
  for (const ParamTensor& t : params.tensors)
    for (const float v : t.data)
      if (!std::isfinite(v)) return false;
  return true;
}

}  // namespace dc::train
