// Guards that keep a training run from turning into NaN silently: hyper-parameters are checked before the
// first step, every step's loss and gradient norm before the optimizer applies it, and the weights before
// a checkpoint is written. A failed guard is a dc::Error (one line, exit 1 at the command line), and the
// last checkpoint on disk stays the last good one.
#pragma once

#include <cstdint>
#include <string>

#include "model/training_pass.h"

namespace dc::train {

struct TrainOptions;

// The largest values the command line accepts (far beyond any sensible run; NaN and inf are never accepted).
inline constexpr double kMaxLr = 1.0;
inline constexpr double kMaxWeightDecay = 10.0;
inline constexpr double kMaxClip = 1e6;

// Throws dc::Error for a non-finite or negative learning rate, weight decay or clip, a min_lr_ratio or
// Adam beta outside [0, 1), an eps <= 0, or a mask_eps outside (0, 1).
void check_hyper_parameters(const TrainOptions& o);

// Throws dc::Error naming the step when the loss or the gradient norm is not finite; `checkpoint` names the
// last good checkpoint ("" when there is none) so that the message says what is left.
void check_step_finite(int64_t step, double loss, double grad_norm, const std::string& checkpoint);

// True when every parameter is a finite number.
bool all_finite(const ModelParams& params);

}  // namespace dc::train
