#include "model/gguf_convert.h"

#include <sys/stat.h>

#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "model/checkpoint.h"
#include "model/gguf_dream.h"
#include "model/gguf_writer.h"
#include "tokenizer/loader.h"
#include "tokenizer/tokenizer.h"

namespace dc {

namespace {

// llama.cpp's general.file_type for an all-`type` model.
uint32_t file_type_of(DType type) {
  switch (type) {
    case DType::F32:
      return 0;
    case DType::F16:
      return 1;
    case DType::BF16:
      return 32;
    default:
      DC_ASSERT(false, "file_type_of: float types only");
      return 0;
  }
}

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

}  // namespace

GgufConvertStats convert_to_gguf(const std::string& model_dir, const std::string& out, DType type,
                                 bool overwrite) {
  if (type != DType::F32 && type != DType::F16 && type != DType::BF16)
    throw_error("{}: GGUF conversion writes f32, f16 or bf16, not {}", out, dtype_name(type));
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
  GgufMetadata md = dream_config_metadata(cfg, file_type_of(type));
  md.emplace(md.begin() + 1, "general.name",
             GgufValue::string(std::filesystem::path(model_dir).lexically_normal().filename().string()));
  GgufMetadata tok_md = tokenizer_metadata(spec, cfg.vocab_size);
  GgufConvertStats stats;
  for (const auto& [key, value] : tok_md)
    if (key == "tokenizer.ggml.tokens") stats.tokens = int64_t(value.count);
  md.insert(md.end(), std::make_move_iterator(tok_md.begin()), std::make_move_iterator(tok_md.end()));

  std::vector<GgufTensorRef> tensors;
  for (const auto& [name, shape] : tensor_shapes(cfg)) {
    const TensorView& src = ck.get(name);
    const DType stored = src.shape.size() == 1 ? DType::F32 : type;
    GgufTensorRef t;
    t.name = gguf_name_of(name);
    DC_ASSERT(!t.name.empty(), "every Dream tensor has a GGUF name");
    t.view = TensorView{stored, src.shape, nullptr};
    t.fill = [&src, stored](uint8_t* dst) { convert_values(src, stored, dst); };
    stats.bytes += t.view.nbytes();
    tensors.push_back(std::move(t));
  }
  stats.tensors = tensors.size();
  write_gguf(out, md, tensors);
  return stats;
}

}  // namespace dc
