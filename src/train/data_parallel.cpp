// See data_parallel.h.
#include "train/data_parallel.h"

#include "core/error.h"

namespace dc::train {

void check_ranks_fit(int ranks, int64_t accum) {
  if (accum < ranks)
    throw_error(
        "train: {} ranks but --accum {} gives only {} micro-batches per step, and every rank needs one: pass "
        "--accum {} or more (a multiple of {} balances the work) or run at most {} ranks (mpirun -np {})",
        ranks, accum, accum, ranks, ranks, accum, accum);
}

void allreduce_gradients(const dist::Comm& comm, ModelParams& grads) {
  if (!comm.distributed()) return;
  for (ParamTensor& t : grads.tensors) comm.allreduce_sum(t.data.data(), t.data.size());
}

}  // namespace dc::train
