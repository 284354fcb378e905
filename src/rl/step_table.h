// The per-prompt results of one GRPO step in a data-parallel job (grpo.h). Row i belongs to prompt i of the
// step and is filled only by the rank that rolled that prompt out (owns()); the other ranks leave it 0.
// share() sums the table over the ranks. Each element is then one value plus zeros, an exact sum, so every
// rank holds every row bit for bit and adds them up in prompt order: the step's statistics are the same
// floating-point sums as in one process, whatever the number of ranks.
#pragma once

#include <cstddef>
#include <vector>

#include "dist/comm.h"

namespace dc::rl {

// Prompt i of a step is rolled out, scored and trained on by rank i % ranks.
inline bool owns(const dist::Comm& comm, size_t prompt_of_step) {
  return prompt_of_step % size_t(comm.size()) == size_t(comm.rank());
}

class StepTable {
 public:
  StepTable(size_t rows, size_t cols) : cols_(cols), v_(rows * cols, 0.0) {}
  double* row(size_t i) { return v_.data() + i * cols_; }
  const double* row(size_t i) const { return v_.data() + i * cols_; }
  // Collective.
  void share(const dist::Comm& comm) { comm.allreduce_sum(v_.data(), v_.size()); }

 private:
  size_t cols_;
  std::vector<double> v_;  // (rows, cols)
};

}  // namespace dc::rl
