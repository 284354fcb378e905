#include "train/init_params.h"

#include <cmath>
#include <numbers>

#include "core/rng.h"

namespace dc::train {

ModelParams init_params(const ModelConfig& cfg, uint64_t seed, double stddev) {
  ModelParams p = params_zeros(cfg);
  for (size_t i = 0; i < p.tensors.size(); ++i) {
    ParamTensor& t = p.tensors[i];
    if (t.shape.size() == 1) {
      // Norm weights start at 1; biases at 0.
      const bool norm = t.name.find("norm") != std::string::npos;
      std::fill(t.data.begin(), t.data.end(), norm ? 1.f : 0.f);
      continue;
    }
    Rng r = Rng(seed).fork(i);
    // Box-Muller from two uniforms in (0, 1].
    for (float& x : t.data) {
      const double u1 = 1.0 - r.uniform_double(), u2 = r.uniform_double();
      x = float(stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2));
    }
  }
  return p;
}

}  // namespace dc::train
