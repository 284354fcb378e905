// The unbiased pass@k estimator (Chen et al. 2021; SPEC §8): for one task with n samples of which c are
// correct, 1 - C(n - c, k) / C(n, k), computed in the stable product form 1 - prod_{i=n-c+1..n} (1 - k/i).
#pragma once

#include <cstdint>
#include <vector>

namespace dc::eval {

// pass@k of one task. Requires 0 <= c <= n and 1 <= k <= n (DC_ASSERT).
double pass_at_k(int64_t n, int64_t c, int64_t k);

// The mean over tasks of pass_at_k(n[t], c[t], k). Tasks with n < k are an error for the caller to avoid.
double mean_pass_at_k(const std::vector<int64_t>& n, const std::vector<int64_t>& c, int64_t k);

}  // namespace dc::eval
