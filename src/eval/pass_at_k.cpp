#include "eval/pass_at_k.h"

#include "core/error.h"

namespace dc::eval {

double pass_at_k(int64_t n, int64_t c, int64_t k) {
  DC_ASSERT(n >= 1 && c >= 0 && c <= n && k >= 1 && k <= n, "pass@k needs 0 <= c <= n and 1 <= k <= n");
  if (n - c < k) return 1.0;
  double prod = 1.0;
  for (int64_t i = n - c + 1; i <= n; ++i) prod *= 1.0 - double(k) / double(i);
  return 1.0 - prod;
}

double mean_pass_at_k(const std::vector<int64_t>& n, const std::vector<int64_t>& c, int64_t k) {
  DC_ASSERT(n.size() == c.size());
  if (n.empty()) return 0.0;
  double sum = 0;
  for (size_t t = 0; t < n.size(); ++t) sum += pass_at_k(n[t], c[t], k);
  return sum / double(n.size());
}

}  // namespace dc::eval
