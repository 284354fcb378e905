// The per-tensor type rules of model conversion; see quant_plan.h.
#include "model/quant_plan.h"

#include <utility>

#include "core/error.h"

namespace dc {

bool is_model_target_type(DType type) {
  switch (type) {
    case DType::F32:
    case DType::F16:
    case DType::BF16:
    case DType::Q8_0:
    case DType::Q4_0:
    case DType::Q4_K:
      return true;
    default:
      return false;
  }
}

DType parse_model_target_type(std::string_view name, std::string_view accepted) {
  static constexpr std::pair<std::string_view, DType> kNames[] = {
      {"f32", DType::F32},   {"f16", DType::F16},   {"bf16", DType::BF16},
      {"q8_0", DType::Q8_0}, {"q4_0", DType::Q4_0}, {"q4_k", DType::Q4_K}};
  for (const auto& [n, t] : kNames)
    if (n == name && accepted.find(n) != std::string_view::npos) return t;
  throw_error("--type '{}': expected {}", name, accepted);
}

namespace {

// `type` if rows of k values are whole blocks of it, else the next fallback (K-quants -> Q8_0 -> F16).
DType fitting_type(DType type, int64_t k) {
  while (dtype_is_block(type) && k % dtype_block_elems(type) != 0)
    type = (type == DType::Q4_K || type == DType::Q6_K) ? DType::Q8_0 : DType::F16;
  return type;
}

}  // namespace

DType planned_type(const TensorSpec& t, DType target, bool tied) {
  DC_ASSERT(is_model_target_type(target));
  if (t.shape.size() == 1) return DType::F32;
  if (!dtype_is_block(target) || target == DType::Q8_0) return fitting_type(target, t.shape.back());
  const bool head = t.role == TensorRole::Head || (tied && t.role == TensorRole::Embedding);
  return fitting_type(head ? DType::Q6_K : target, t.shape.back());
}

uint32_t gguf_file_type(DType target) {
  switch (target) {
    case DType::F32:
      return 0;
    case DType::F16:
      return 1;
    case DType::Q4_0:
      return 2;
    case DType::Q8_0:
      return 7;
    case DType::Q4_K:
      return 14;
    case DType::BF16:
      return 32;
    default:
      DC_ASSERT(false, "gguf_file_type: not a model target type");
      return 0;
  }
}

}  // namespace dc
