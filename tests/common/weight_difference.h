// How far apart the weights of two model folders are (test code): runs that differ only in the order of
// float sums (data-parallel vs one process) are compared with it.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "model/checkpoint.h"
#include "model/training_pass.h"

namespace dc::testing {

struct WeightDifference {
  double l2_rel = 0;   // ||a - b|| / ||a|| over every weight
  double max_rel = 0;  // the largest |a - b| relative to the largest |a| of its tensor
};

// Throws dc::Error when a folder is not a model; the two must have the same shapes.
inline WeightDifference weight_difference(const std::string& dir_a, const std::string& dir_b) {
  const ModelParams a = params_from_checkpoint(Checkpoint::open(dir_a));
  const ModelParams b = params_from_checkpoint(Checkpoint::open(dir_b));
  if (a.numel() != b.numel()) throw_error("{} and {} hold models of different sizes", dir_a, dir_b);
  WeightDifference d;
  double dd = 0, aa = 0;
  for (size_t t = 0; t < a.tensors.size(); ++t) {
    double scale = 0, diff = 0;
    for (size_t i = 0; i < a.tensors[t].data.size(); ++i) {
      const double x = a.tensors[t].data[i], e = x - double(b.tensors[t].data[i]);
      scale = std::max(scale, std::fabs(x));
      diff = std::max(diff, std::fabs(e));
      dd += e * e;
      aa += x * x;
    }
    d.max_rel = std::max(d.max_rel, scale > 0 ? diff / scale : diff);
  }
  d.l2_rel = std::sqrt(dd / std::max(aa, 1e-300));
  return d;
}

}  // namespace dc::testing
