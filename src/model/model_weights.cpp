// Loading and packing of Dream weights; see model_weights.h.
#include "model/model_weights.h"

#include <cstring>
#include <string>

#include "core/dtype.h"
#include "core/error.h"

namespace dc {

std::vector<float> tensor_to_f32(const TensorView& t) {
  const int64_t n = t.numel();
  std::vector<float> out(size_t(n), 0.0f);
  switch (t.dtype) {
    case DType::F32:
      std::memcpy(out.data(), t.data, size_t(n) * 4);
      break;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) out[size_t(i)] = bf16_to_f32(t.u16()[i]);
      break;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) out[size_t(i)] = f16_to_f32(t.u16()[i]);
      break;
    default:
      DC_ASSERT(false, "tensor_to_f32: not a float tensor (validate_tensors admits floats only)");
  }
  return out;
}

namespace {

// Stacks same-dtype [n_i, K] matrices row-wise into one [sum n_i, K] matrix and packs it. When the packed
// weight is a zero-copy view (scalar path) the stacked bytes are kept alive in `owned`.
kernels::PackedWeight pack_stacked(const Checkpoint& ckpt, const std::vector<std::string>& names,
                                   std::vector<std::shared_ptr<std::vector<uint8_t>>>& owned) {
  const TensorView& first = ckpt.get(names[0]);
  TensorView stacked;
  stacked.dtype = first.dtype;
  stacked.shape = {0, first.dim(1)};
  size_t bytes = 0;
  for (const std::string& n : names) {
    const TensorView& t = ckpt.get(n);
    if (t.dtype != first.dtype)
      throw_error("{}: '{}' is {} but '{}' is {}; q/k/v projections must share one dtype", ckpt.dir(), n,
                  dtype_name(t.dtype), names[0], dtype_name(first.dtype));
    stacked.shape[0] += t.dim(0);
    bytes += t.nbytes();
  }
  auto buf = std::make_shared<std::vector<uint8_t>>(bytes);
  size_t off = 0;
  for (const std::string& n : names) {
    const TensorView& t = ckpt.get(n);
    std::memcpy(buf->data() + off, t.data, t.nbytes());
    off += t.nbytes();
  }
  stacked.data = buf->data();
  kernels::PackedWeight packed = kernels::PackedWeight::pack(stacked);
  if (packed.layout() == kernels::PackedWeight::Layout::View) owned.push_back(std::move(buf));
  return packed;
}

}  // namespace

ModelWeights load_model_weights(const Checkpoint& ckpt) {
  validate_tensors(ckpt);  // names, shapes against config.json, float dtypes
  ModelWeights w;
  w.config = ckpt.config();
  const ModelConfig& c = w.config;
  w.embed = ckpt.get("model.embed_tokens.weight");
  w.final_norm = ckpt.get("model.norm.weight");
  w.lm_head = kernels::PackedWeight::pack(c.tie_word_embeddings ? w.embed : ckpt.get("lm_head.weight"));
  w.layers.resize(size_t(c.num_hidden_layers));
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    LayerWeights& l = w.layers[size_t(i)];
    l.input_norm = ckpt.get(p + "input_layernorm.weight");
    l.post_norm = ckpt.get(p + "post_attention_layernorm.weight");
    const std::string a = p + "self_attn.";
    l.qkv = pack_stacked(ckpt, {a + "q_proj.weight", a + "k_proj.weight", a + "v_proj.weight"}, w.owned);
    for (const char* b : {"q_proj.bias", "k_proj.bias", "v_proj.bias"}) {
      std::vector<float> part = tensor_to_f32(ckpt.get(a + b));
      l.qkv_bias.insert(l.qkv_bias.end(), part.begin(), part.end());
    }
    l.o = kernels::PackedWeight::pack(ckpt.get(a + "o_proj.weight"));
    l.gate = kernels::PackedWeight::pack(ckpt.get(p + "mlp.gate_proj.weight"));
    l.up = kernels::PackedWeight::pack(ckpt.get(p + "mlp.up_proj.weight"));
    l.down = kernels::PackedWeight::pack(ckpt.get(p + "mlp.down_proj.weight"));
  }
  return w;
}

}  // namespace dc
