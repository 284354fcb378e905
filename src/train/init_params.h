// Fresh Dream parameters for training from scratch: matrices and the embedding ~ N(0, std^2) (std = the
// HF initializer_range, 0.02 by default), norm weights 1, biases 0. Deterministic in `seed`.
#pragma once

#include <cstdint>

#include "model/training_pass.h"

namespace dc::train {

ModelParams init_params(const ModelConfig& cfg, uint64_t seed, double stddev = 0.02);

}  // namespace dc::train
