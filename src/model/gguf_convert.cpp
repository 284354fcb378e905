#include "model/gguf_convert.h"

#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/quant.h"
#include "model/checkpoint.h"
#include "model/gguf_dream.h"
#include "model/gguf_writer.h"
#include "model/quant_plan.h"
#include "model/tensor_table.h"
#include "tokenizer/loader.h"
#include "tokenizer/tokenizer.h"

namespace dc {

namespace {

float load_float(const TensorView& v, int64_t i) {
  switch (v.dtype) {
    case DType::F32:
      return v.f32()[i];
    case DType::F16:
      return f16_to_f32(v.u16()[i]);
    default:
      return bf16_to_f32(v.u16()[i]);
  }
}

// Writes `src` (F32/F16/BF16) as `type` into `out` (numel * dtype_size(type) bytes).
void convert_values(const TensorView& src, DType type, uint8_t* out) {
  const int64_t n = src.numel();
  if (src.dtype == type) {
    std::memcpy(out, src.data, src.nbytes());
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const float x = load_float(src, i);
    if (type == DType::F32) {
      std::memcpy(out + 4 * i, &x, 4);
    } else {
      const uint16_t h = type == DType::F16 ? f32_to_f16(x) : f32_to_bf16(x);
      std::memcpy(out + 2 * i, &h, 2);
    }
  }
}

// Writes the 2-D `src` (F32/F16/BF16) quantized to the block type `type`, row by row over the pool.
void quantize_values(const TensorView& src, DType type, uint8_t* out) {
  const int64_t rows = src.dim(0), k = src.dim(1);
  const size_t row_bytes = kernels::quantized_bytes(type, k);
  global_pool().parallel_for(rows, [&](int64_t r0, int64_t r1, int) {
    std::vector<float> row(static_cast<size_t>(k));
    for (int64_t r = r0; r < r1; ++r) {
      for (int64_t j = 0; j < k; ++j) row[size_t(j)] = load_float(src, r * k + j);
      kernels::quantize_row(type, row.data(), out + size_t(r) * row_bytes, k);
    }
  });
}

}  // namespace

GgufConvertStats convert_to_gguf(const std::string& model_dir, const std::string& out, DType type,
                                 bool overwrite) {
  if (!is_model_target_type(type))
    throw_error("{}: GGUF conversion writes f32, f16, bf16, q8_0, q4_0 or q4_k, not {}", out,
                dtype_name(type));
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(out, ec))
    throw_error("{}: already exists (pass --force to overwrite it)", out);
  const Checkpoint ck = Checkpoint::open(model_dir);
  if (ck.gguf()) throw_error("{}: is already a GGUF model", model_dir);
  validate_tensors(ck);
  tok::TokenizerSpec spec = tok::load_tokenizer_spec(model_dir);

  ModelConfig cfg = ck.config();
  if (cfg.mask_token_id < 0) {  // the tokenizer's mask token stands in, as when the engine loads the folder
    const Tokenizer tok = Tokenizer::from_spec(spec, model_dir);
    if (tok.special_ids().mask) cfg.mask_token_id = *tok.special_ids().mask;
  }
  GgufMetadata md = dream_config_metadata(cfg, gguf_file_type(type));
  md.emplace(md.begin() + 1, "general.name",
             GgufValue::string(std::filesystem::path(model_dir).lexically_normal().filename().string()));
  GgufMetadata tok_md = tokenizer_metadata(spec, cfg.vocab_size);
  GgufConvertStats stats;
  for (const auto& [key, value] : tok_md)
    if (key == "tokenizer.ggml.tokens") stats.tokens = int64_t(value.count);
  md.insert(md.end(), std::make_move_iterator(tok_md.begin()), std::make_move_iterator(tok_md.end()));

  std::vector<GgufTensorRef> tensors;
  for (const TensorSpec& spec : tensor_table(cfg)) {
    const TensorView& src = ck.get(spec.name);
    const DType stored = planned_type(spec, type, cfg.tie_word_embeddings);
    GgufTensorRef t;
    t.name = gguf_name_of(spec.name);
    DC_ASSERT(!t.name.empty(), "every Dream tensor has a GGUF name");
    t.view = TensorView{stored, src.shape, nullptr};
    if (dtype_is_block(stored))
      t.fill = [&src, stored](uint8_t* dst) { quantize_values(src, stored, dst); };
    else
      t.fill = [&src, stored](uint8_t* dst) { convert_values(src, stored, dst); };
    stats.bytes += t.view.nbytes();
    ++stats.by_type[dtype_name(stored)];
    tensors.push_back(std::move(t));
  }
  stats.tensors = tensors.size();
  write_gguf(out, md, tensors);
  return stats;
}

std::string describe_conversion(const GgufConvertStats& s) {
  std::string types;
  for (const auto& [name, n] : s.by_type) types += fmt::format("{}{} {}", types.empty() ? "" : ", ", name, n);
  return fmt::format("{} tensors, {:.3f} MB ({}), {} tokens", s.tensors, double(s.bytes) / 1e6, types,
                     s.tokens);
}

}  // namespace dc
