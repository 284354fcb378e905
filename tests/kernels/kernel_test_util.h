// Shared helpers for the kernel tests: random data, stored-weight conversion, the ISAs this CPU runs.
#pragma once

#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "core/rng.h"
#include "kernels/ops.h"

namespace dc::kernels::testing {

inline std::vector<float> random_vector(Rng& rng, int64_t n, float scale = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& f : v) f = scale * (2.0f * float(rng.uniform()) - 1.0f);
  return v;
}

// Weight storage of the given type; values are rounded to it (so the F32 view of `f` stays exact).
struct StoredWeight {
  DType dtype;
  std::vector<float> f;     // the values, as fp32
  std::vector<uint16_t> h;  // F16 / BF16 bits
  TensorView view(int64_t n, int64_t k) const {
    return TensorView{dtype, {n, k}, dtype == DType::F32 ? static_cast<const void*>(f.data()) : h.data()};
  }
};

inline StoredWeight make_weight(Rng& rng, DType dtype, int64_t n, int64_t k) {
  StoredWeight w{dtype, random_vector(rng, n * k), {}};
  if (dtype != DType::F32) {
    w.h.resize(w.f.size());
    for (size_t i = 0; i < w.f.size(); ++i) {
      w.h[i] = dtype == DType::BF16 ? f32_to_bf16(w.f[i]) : f32_to_f16(w.f[i]);
      w.f[i] = dtype == DType::BF16 ? bf16_to_f32(w.h[i]) : f16_to_f32(w.h[i]);
    }
  }
  return w;
}

// Every ISA this CPU can run, lowest first.
inline std::vector<Isa> runnable_isas() {
  std::vector<Isa> out;
  for (Isa i : {Isa::Scalar, Isa::Avx2, Isa::Avx512})
    if (i <= detected_isa()) out.push_back(i);
  return out;
}

// Restores the active ISA when a test ends.
struct IsaGuard {
  Isa saved = active_isa();
  ~IsaGuard() { force_isa(saved); }
};

}  // namespace dc::kernels::testing
