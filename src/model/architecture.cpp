// The architecture table (see architecture.h).
#include "model/architecture.h"

#include "model/config_fields.h"

namespace dc {

namespace {

constexpr ArchTraits kTraits[] = {
    {Arch::Dream, "Dream", "DreamModel", /*qkv_bias=*/true, /*logits_shifted=*/true, "<|mask|>", -1,
     "<|im_end|>", "entropy", 0},
    {Arch::Llada, "llada", "LLaDAModelLM", /*qkv_bias=*/false, /*logits_shifted=*/false, "<|mdm_mask|>",
     126336, "<|eot_id|>", "low_confidence", 32},
};

}  // namespace

const ArchTraits& arch_traits(Arch arch) {
  return kTraits[size_t(arch)];
}

std::optional<Arch> arch_of_model_type(std::string_view model_type) {
  for (const ArchTraits& t : kTraits)
    if (iequals(model_type, t.model_type)) return t.arch;
  return std::nullopt;
}

const char* supported_model_types() {
  return "Dream, llada";
}

}  // namespace dc
