// Data-parallel gradients (dist/comm.h): after each rank's backward passes over its share of a step, every
// gradient tensor is summed over the ranks, so that every rank holds the step's whole gradient and applies
// the same optimizer update. On one rank (no launcher) this is a no-op.
#pragma once

#include "dist/comm.h"
#include "model/training_pass.h"

namespace dc::train {

// Collective: every rank calls it with gradients of the same shapes. One allreduce per tensor, in the fixed
// tensor order; every rank ends with the same bytes.
void sum_grads_over_ranks(const dist::Comm& comm, ModelParams& grads);

}  // namespace dc::train
