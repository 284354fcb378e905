// Loading and packing of Dream weights; see model_weights.h.
#include "model/model_weights.h"

#include <cstring>
#include <string>

#include "core/dtype.h"
#include "core/error.h"
#include "kernels/quant.h"
#include "model/tensor_table.h"

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
    case DType::Q8_0:
    case DType::Q4_0:
    case DType::Q4_K:
    case DType::Q6_K:
      kernels::dequantize_row(t.dtype, t.data, out.data(), n);  // blocks are contiguous across rows
      break;
    default:
      DC_ASSERT(false, "tensor_to_f32: not a float tensor (validate_tensors admits floats only)");
  }
  return out;
}

void embedding_row(const TensorView& e, int64_t row, float* dst) {
  const int64_t C = e.dim(1);
  switch (e.dtype) {
    case DType::F32:
      std::memcpy(dst, e.f32() + row * C, size_t(C) * 4);
      break;
    case DType::BF16:
      for (int64_t j = 0; j < C; ++j) dst[j] = bf16_to_f32(e.u16()[row * C + j]);
      break;
    case DType::F16:
      for (int64_t j = 0; j < C; ++j) dst[j] = f16_to_f32(e.u16()[row * C + j]);
      break;
    default: {
      DC_ASSERT(dtype_is_block(e.dtype), "embedding_row: not a float or block-quantized tensor");
      const size_t row_bytes = size_t(C / dtype_block_elems(e.dtype)) * dtype_block_bytes(e.dtype);
      kernels::dequantize_row(e.dtype, static_cast<const uint8_t*>(e.data) + size_t(row) * row_bytes, dst, C);
    }
  }
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
  if (packed.data() == buf->data()) owned.push_back(std::move(buf));  // a zero-copy layout views the stack
  for (const std::string& n : names) ckpt.drop_pages(n);
  return packed;
}

// Packs a matrix; where the packed layout is a copy, the file's pages of the original are dropped so that
// the weights are resident once (they are read again from the file only if something else touches them).
kernels::PackedWeight pack_matrix(const Checkpoint& ckpt, const std::string& name) {
  const TensorView& t = ckpt.get(name);
  kernels::PackedWeight packed = kernels::PackedWeight::pack(t);
  if (packed.data() != t.data) ckpt.drop_pages(name);
  return packed;
}

}  // namespace

ModelWeights load_model_weights(const Checkpoint& ckpt) {
  validate_tensors(ckpt);  // names, shapes against config.json, float dtypes
  ModelWeights w;
  w.config = ckpt.config();
  const ModelConfig& c = w.config;
  const std::vector<TensorSpec> table = tensor_table(c);
  const TensorIndex at(table);
  auto get = [&](int64_t index) -> const TensorView& { return ckpt.get(table[size_t(index)].name); };
  w.embed = get(at.embed);
  w.final_norm = get(at.final_norm);
  // A tied head is also the embedding table, read row by row: its pages stay.
  w.lm_head = c.tie_word_embeddings ? kernels::PackedWeight::pack(w.embed)
                                    : pack_matrix(ckpt, table[size_t(at.head)].name);
  w.layers.resize(size_t(c.num_hidden_layers));
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    using S = TensorSlot;
    auto name = [&](S s) { return table[size_t(at.of(i, s))].name; };
    LayerWeights& l = w.layers[size_t(i)];
    l.input_norm = ckpt.get(name(S::AttnNorm));
    l.post_norm = ckpt.get(name(S::MlpNorm));
    l.qkv = pack_stacked(ckpt, {name(S::Wq), name(S::Wk), name(S::Wv)}, w.owned);
    if (arch_traits(c.arch).qkv_bias) {
      for (S b : {S::Bq, S::Bk, S::Bv}) {
        std::vector<float> part = tensor_to_f32(ckpt.get(name(b)));
        l.qkv_bias.insert(l.qkv_bias.end(), part.begin(), part.end());
      }
    }
    l.o = pack_matrix(ckpt, name(S::Wo));
    l.gate = pack_matrix(ckpt, name(S::Gate));
    l.up = pack_matrix(ckpt, name(S::Up));
    l.down = pack_matrix(ckpt, name(S::Down));
  }
  return w;
}

}  // namespace dc
