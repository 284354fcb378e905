// Data parallelism of the training loop across the ranks of an MPI job (dist/comm.h). A step's global
// batch is the same `batch x accum` sequences as in one process: micro-batch k of the step goes to rank
// k % ranks, each rank runs the forward and backward of its own micro-batches only (reading only their
// sequences, with the same per-micro-batch RNG fork as one process), then the gradients and the loss are
// summed over ranks, so every rank holds the same bytes and applies the same optimizer step. Validation
// batches are divided the same way. With one rank every sum is a copy: the loop is the one-process loop.
//
// Nothing of this is saved: a checkpoint does not depend on the rank count, so a run may resume with
// another one (only the order of float sums changes).
#pragma once

#include <cstdint>

#include "dist/comm.h"
#include "model/training_pass.h"

namespace dc::train {

// Throws dc::Error (naming both numbers and the fix) when there are more ranks than micro-batches per step:
// a rank without a micro-batch would only wait.
void check_ranks_fit(int ranks, int64_t accum);

// In place: every gradient tensor becomes its sum over ranks (one allreduce per tensor buffer; the
// tensors are separate allocations, the largest already megabytes).
void allreduce_gradients(const dist::Comm& comm, ModelParams& grads);

}  // namespace dc::train
