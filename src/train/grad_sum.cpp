// See grad_sum.h.
#include "train/grad_sum.h"

namespace dc::train {

void sum_grads_over_ranks(const dist::Comm& comm, ModelParams& grads) {
  if (!comm.distributed()) return;
  for (ParamTensor& t : grads.tensors) comm.allreduce_sum(t.data.data(), t.data.size());
}

}  // namespace dc::train
