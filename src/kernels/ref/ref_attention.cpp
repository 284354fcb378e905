// Scalar reference attention: bidirectional softmax(q k^T / sqrt(D)) v with GQA and validity masks
// (see kernels/ops.h for the contract). Scores, softmax and the weighted sum in double.
#include <cmath>
#include <vector>

#include "core/error.h"
#include "kernels/ref/ref_ops.h"

namespace dc::kernels::ref {

void attention(float* out, const float* q, const float* k, const float* v, int64_t Nq, int64_t Nk, int64_t H,
               int64_t Hkv, int64_t D, const uint8_t* key_valid, const uint8_t* query_valid) {
  DC_ASSERT(Hkv > 0 && H % Hkv == 0, "query heads must be a multiple of KV heads");
  const int64_t group = H / Hkv;
  const double scale = 1.0 / std::sqrt(double(D));
  std::vector<double> s(size_t(Nk > 0 ? Nk : 1));
  std::vector<double> acc(static_cast<size_t>(D));
  for (int64_t i = 0; i < Nq; ++i) {
    for (int64_t h = 0; h < H; ++h) {
      float* o = out + (i * H + h) * D;
      const float* qi = q + (i * H + h) * D;
      const int64_t kvh = h / group;
      bool any = false;
      double mx = -INFINITY;
      if (!query_valid || query_valid[i]) {
        for (int64_t j = 0; j < Nk; ++j) {
          if (key_valid && !key_valid[j]) continue;
          const float* kj = k + (j * Hkv + kvh) * D;
          double dot = 0.0;
          for (int64_t d = 0; d < D; ++d) dot += double(qi[d]) * double(kj[d]);
          s[size_t(j)] = dot * scale;
          mx = std::fmax(mx, s[size_t(j)]);
          any = true;
        }
      }
      for (int64_t d = 0; d < D; ++d) acc[size_t(d)] = 0.0;
      if (any) {
        double sum = 0.0;
        for (int64_t j = 0; j < Nk; ++j) {
          if (key_valid && !key_valid[j]) continue;
          const double p = std::exp(s[size_t(j)] - mx);
          sum += p;
          const float* vj = v + (j * Hkv + kvh) * D;
          for (int64_t d = 0; d < D; ++d) acc[size_t(d)] += p * double(vj[d]);
        }
        for (int64_t d = 0; d < D; ++d) acc[size_t(d)] /= sum;
      }
      for (int64_t d = 0; d < D; ++d) o[d] = float(acc[size_t(d)]);
    }
  }
}

}  // namespace dc::kernels::ref
