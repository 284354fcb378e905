// The Dream training pass; see training_pass.h. forward_layers() and backward_layers() are mirror images:
// each backward step undoes the forward step listed at the same place, in reverse order.
#include "model/training_pass.h"
#include "model/tensor_table.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/backward.h"
#include "kernels/ops.h"
#include "model/model_weights.h"
#include "model/safetensors_writer.h"

namespace dc {

namespace k = kernels;

int64_t ModelParams::numel() const {
  int64_t n = 0;
  for (const ParamTensor& t : tensors) n += int64_t(t.data.size());
  return n;
}

void ModelParams::set_zero() {
  for (ParamTensor& t : tensors) std::fill(t.data.begin(), t.data.end(), 0.f);
}

ModelParams params_zeros(const ModelConfig& c) {
  ModelParams p;
  p.config = c;
  std::vector<TensorSpec> table = tensor_table(c);
  p.index = TensorIndex(table);
  for (TensorSpec& t : table) {
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    p.tensors.push_back({std::move(t.name), std::move(t.shape), std::vector<float>(size_t(n), 0.f)});
  }
  return p;
}

ModelParams params_from_checkpoint(const Checkpoint& ckpt) {
  validate_tensors(ckpt);  // names, shapes against config.json, float dtypes
  ModelParams p = params_zeros(ckpt.config());
  for (ParamTensor& t : p.tensors) {
    const TensorView& v = ckpt.get(t.name);
    if (v.shape != t.shape)
      throw_error("{}: tensor '{}' has shape {}, expected {}", ckpt.dir(), t.name, shape_string(v.shape),
                  shape_string(t.shape));
    t.data = tensor_to_f32(v);
  }
  return p;
}

Checkpoint params_checkpoint(const ModelParams& p, std::string label) {
  std::map<std::string, TensorView> views;
  for (const ParamTensor& t : p.tensors)
    views.emplace(t.name, TensorView{DType::F32, t.shape, t.data.data()});
  return Checkpoint::from_views(std::move(label), p.config, std::move(views));
}

void save_params(const ModelParams& p, const std::string& path, DType dtype) {
  if (dtype == DType::F32) {
    std::vector<TensorRef> refs;
    for (const ParamTensor& t : p.tensors)
      refs.push_back({t.name, TensorView{DType::F32, t.shape, t.data.data()}});
    write_safetensors(path, refs, {{"format", "pt"}});
    return;
  }
  std::vector<NamedTensor> named;
  for (const ParamTensor& t : p.tensors) named.push_back(make_float_tensor(t.name, dtype, t.shape, t.data));
  write_safetensors(path, named, {{"format", "pt"}});
}

namespace {

struct Dims {
  int64_t B, N, M, C, H, Hkv, D, HD, KD, F, V, L;
  float eps;
  double theta;
};

Dims dims_of(const ModelConfig& c, int64_t B, int64_t N) {
  return {B,
          N,
          B * N,
          c.hidden_size,
          c.num_attention_heads,
          c.num_key_value_heads,
          c.head_dim,
          c.num_attention_heads * c.head_dim,
          c.num_key_value_heads * c.head_dim,
          c.intermediate_size,
          c.vocab_size,
          c.num_hidden_layers,
          float(c.rms_norm_eps),
          c.rope_theta};
}

void forward_layers(const ModelParams& p, const Dims& d, const uint8_t* allow, TrainTape& tape) {
  std::vector<float>& h = tape.hidden;  // (M, C), holds the embeddings on entry
  std::vector<float> proj(static_cast<size_t>(d.M * d.C));
  for (int64_t l = 0; l < d.L; ++l) {
    LayerTape& a = tape.layers[size_t(l)];
    a.h_in = h;
    a.x.resize(size_t(d.M * d.C));
    a.q.resize(size_t(d.M * d.HD));
    a.k.resize(size_t(d.M * d.KD));
    a.v.resize(size_t(d.M * d.KD));
    a.att.resize(size_t(d.M * d.HD));
    a.lse.resize(size_t(d.B * d.H * d.N));
    a.x2.resize(size_t(d.M * d.C));
    a.gate.resize(size_t(d.M * d.F));
    a.up.resize(size_t(d.M * d.F));
    a.act.resize(size_t(d.M * d.F));
    using S = TensorSlot;
    // Attention block.
    k::rmsnorm_f32(a.x.data(), h.data(), p.layer(l, S::AttnNorm), d.M, d.C, d.eps);
    k::linear_f32(a.q.data(), a.x.data(), p.layer(l, S::Wq), p.layer(l, S::Bq), d.M, d.HD, d.C);
    k::linear_f32(a.k.data(), a.x.data(), p.layer(l, S::Wk), p.layer(l, S::Bk), d.M, d.KD, d.C);
    k::linear_f32(a.v.data(), a.x.data(), p.layer(l, S::Wv), p.layer(l, S::Bv), d.M, d.KD, d.C);
    k::rope(a.q.data(), tape.pos.data(), d.M, d.H, d.D, d.theta);
    k::rope(a.k.data(), tape.pos.data(), d.M, d.Hkv, d.D, d.theta);
    for (int64_t b = 0; b < d.B; ++b)
      k::attention_train(a.att.data() + b * d.N * d.HD, a.lse.data() + b * d.H * d.N,
                         a.q.data() + b * d.N * d.HD, a.k.data() + b * d.N * d.KD,
                         a.v.data() + b * d.N * d.KD, d.N, d.H, d.Hkv, d.D,
                         allow ? allow + b * d.N * d.N : nullptr);
    k::linear_f32(proj.data(), a.att.data(), p.layer(l, S::Wo), nullptr, d.M, d.C, d.HD);
    k::add_inplace(h.data(), proj.data(), d.M * d.C);
    a.h_mid = h;
    // MLP block.
    k::rmsnorm_f32(a.x2.data(), h.data(), p.layer(l, S::MlpNorm), d.M, d.C, d.eps);
    k::linear_f32(a.gate.data(), a.x2.data(), p.layer(l, S::Gate), nullptr, d.M, d.F, d.C);
    k::linear_f32(a.up.data(), a.x2.data(), p.layer(l, S::Up), nullptr, d.M, d.F, d.C);
    k::swiglu(a.act.data(), a.gate.data(), a.up.data(), d.M * d.F);
    k::linear_f32(proj.data(), a.act.data(), p.layer(l, S::Down), nullptr, d.M, d.C, d.F);
    k::add_inplace(h.data(), proj.data(), d.M * d.C);
  }
}

// On entry tape.dh (M, C) holds dLoss/d(final residual stream); on exit dLoss/d(embeddings).
void backward_layers(const ModelParams& p, ModelParams& g, const Dims& d, const uint8_t* allow,
                     TrainTape& tape) {
  using S = TensorSlot;
  float* dh = tape.dh.data();
  tape.dx.resize(size_t(d.M * d.C));
  tape.dtmp.resize(size_t(d.M * d.C));
  tape.dhd.resize(size_t(d.M * d.HD));
  tape.dq.resize(size_t(d.M * d.HD));
  tape.dk.resize(size_t(d.M * d.KD));
  tape.dv.resize(size_t(d.M * d.KD));
  tape.dff_a.resize(size_t(d.M * d.F));
  tape.dff_b.resize(size_t(d.M * d.F));
  tape.dff_c.resize(size_t(d.M * d.F));
  float *dx = tape.dx.data(), *dtmp = tape.dtmp.data(), *dhd = tape.dhd.data();
  float *dq = tape.dq.data(), *dk = tape.dk.data(), *dv = tape.dv.data();
  float *dact = tape.dff_a.data(), *dgate = tape.dff_b.data(), *dup = tape.dff_c.data();
  for (int64_t l = d.L - 1; l >= 0; --l) {
    const LayerTape& a = tape.layers[size_t(l)];
    // MLP block, reversed: h += down(act); act = swiglu(gate, up); gate/up = x2 W^T; x2 = norm(h_mid).
    k::linear_backward(dact, g.layer(l, S::Down), nullptr, dh, a.act.data(), p.layer(l, S::Down), d.M, d.C,
                       d.F);
    k::swiglu_backward(dgate, dup, dact, a.gate.data(), a.up.data(), d.M * d.F);
    k::linear_backward(dx, g.layer(l, S::Gate), nullptr, dgate, a.x2.data(), p.layer(l, S::Gate), d.M, d.F,
                       d.C);
    k::linear_backward(dtmp, g.layer(l, S::Up), nullptr, dup, a.x2.data(), p.layer(l, S::Up), d.M, d.F, d.C);
    k::add_inplace(dx, dtmp, d.M * d.C);
    k::rmsnorm_backward(dtmp, g.layer(l, S::MlpNorm), dx, a.h_mid.data(), p.layer(l, S::MlpNorm), d.M, d.C,
                        d.eps);
    k::add_inplace(dh, dtmp, d.M * d.C);
    // Attention block, reversed: h += o(att); att = attention(rope(q), rope(k), v); q/k/v = x W^T + b.
    k::linear_backward(dhd, g.layer(l, S::Wo), nullptr, dh, a.att.data(), p.layer(l, S::Wo), d.M, d.C, d.HD);
    for (int64_t b = 0; b < d.B; ++b)
      k::attention_train_backward(dq + b * d.N * d.HD, dk + b * d.N * d.KD, dv + b * d.N * d.KD,
                                  dhd + b * d.N * d.HD, a.q.data() + b * d.N * d.HD,
                                  a.k.data() + b * d.N * d.KD, a.v.data() + b * d.N * d.KD,
                                  a.att.data() + b * d.N * d.HD, a.lse.data() + b * d.H * d.N, d.N, d.H,
                                  d.Hkv, d.D, allow ? allow + b * d.N * d.N : nullptr);
    k::rope_backward(dq, tape.pos.data(), d.M, d.H, d.D, d.theta);
    k::rope_backward(dk, tape.pos.data(), d.M, d.Hkv, d.D, d.theta);
    k::linear_backward(dx, g.layer(l, S::Wq), g.layer(l, S::Bq), dq, a.x.data(), p.layer(l, S::Wq), d.M, d.HD,
                       d.C);
    k::linear_backward(dtmp, g.layer(l, S::Wk), g.layer(l, S::Bk), dk, a.x.data(), p.layer(l, S::Wk), d.M,
                       d.KD, d.C);
    k::add_inplace(dx, dtmp, d.M * d.C);
    k::linear_backward(dtmp, g.layer(l, S::Wv), g.layer(l, S::Bv), dv, a.x.data(), p.layer(l, S::Wv), d.M,
                       d.KD, d.C);
    k::add_inplace(dx, dtmp, d.M * d.C);
    k::rmsnorm_backward(dtmp, g.layer(l, S::AttnNorm), dx, a.h_in.data(), p.layer(l, S::AttnNorm), d.M, d.C,
                        d.eps);
    k::add_inplace(dh, dtmp, d.M * d.C);
  }
}

}  // namespace

void train_forward_head(const ModelParams& p, const int32_t* tokens, int64_t B, int64_t N,
                        const uint8_t* allow, const HeadTargets& t, TrainTape& tape) {
  const Dims d = dims_of(p.config, B, N);
  if (B <= 0 || N <= 0) throw_error("dream training pass: empty batch ({} x {})", B, N);
  for (int64_t i = 0; i < d.M; ++i)
    if (tokens[i] < 0 || tokens[i] >= d.V)
      throw_error("dream training pass: token id {} at row {} is outside the vocabulary [0, {})", tokens[i],
                  i, d.V);
  const int64_t R = int64_t(t.rows.size());
  DC_ASSERT(t.targets.size() == t.rows.size() && t.weights.size() == t.rows.size(), "head target sizes");
  for (int64_t r = 0; r < R; ++r) {
    if (t.rows[size_t(r)] < 0 || t.rows[size_t(r)] >= d.M)
      throw_error("dream training pass: head row {} is outside the {} rows", t.rows[size_t(r)], d.M);
    if (t.targets[size_t(r)] < 0 || t.targets[size_t(r)] >= d.V)
      throw_error("dream training pass: target id {} is outside the vocabulary [0, {})", t.targets[size_t(r)],
                  d.V);
  }
  tape.B = B;
  tape.N = N;
  tape.pos.resize(size_t(d.M));
  for (int64_t i = 0; i < d.M; ++i) tape.pos[size_t(i)] = int32_t(i % N);
  tape.layers.resize(size_t(d.L));

  // Embedding gather: hidden (M, C) = embed[tokens].
  tape.hidden.resize(size_t(d.M * d.C));
  for (int64_t i = 0; i < d.M; ++i)
    std::memcpy(tape.hidden.data() + i * d.C, p.embed() + int64_t(tokens[i]) * d.C, size_t(d.C) * 4);
  forward_layers(p, d, allow, tape);

  // Head on the R selected rows: head_x = norm(hidden[rows]); logits = head_x lm_head^T; weighted CE.
  tape.head_in.resize(size_t(R * d.C));
  tape.head_x.resize(size_t(R * d.C));
  tape.logits.resize(size_t(R * d.V));
  tape.row_loss.resize(size_t(R));
  tape.row_max.resize(size_t(R));
  tape.row_sum.resize(size_t(R));
  tape.rows = t.rows;
  tape.targets = t.targets;
  for (int64_t r = 0; r < R; ++r)
    std::memcpy(tape.head_in.data() + r * d.C, tape.hidden.data() + t.rows[size_t(r)] * d.C, size_t(d.C) * 4);
  k::rmsnorm_f32(tape.head_x.data(), tape.head_in.data(), p.final_norm(), R, d.C, d.eps);
  k::linear_f32(tape.logits.data(), tape.head_x.data(), p.lm_head(), nullptr, R, d.V, d.C);
  k::cross_entropy_rows(tape.logits.data(), tape.row_loss.data(), tape.row_max.data(), tape.row_sum.data(),
                        t.targets.data(), R, d.V);
}

double train_backward_from_head(const ModelParams& p, const int32_t* tokens, const uint8_t* allow,
                                const std::vector<float>& weights, ModelParams& g, TrainTape& tape) {
  const Dims d = dims_of(p.config, tape.B, tape.N);
  const int64_t R = int64_t(tape.rows.size());
  DC_ASSERT(weights.size() == tape.rows.size(), "one weight per head row");
  double loss = 0;
  for (int64_t r = 0; r < R; ++r) loss += double(weights[size_t(r)]) * tape.row_loss[size_t(r)];
  k::cross_entropy_grad(tape.logits.data(), tape.row_max.data(), tape.row_sum.data(), tape.targets.data(),
                        weights.data(), R, d.V);
  const std::vector<int64_t>& rows = tape.rows;

  // Backward through the head: dhead_x = dlogits lm_head; d(final norm); scatter into dh (M, C).
  std::vector<float> dhx(size_t(R * d.C)), dhin(size_t(R * d.C));
  k::linear_backward(dhx.data(), g.lm_head(), nullptr, tape.logits.data(), tape.head_x.data(), p.lm_head(), R,
                     d.V, d.C);
  k::rmsnorm_backward(dhin.data(), g.final_norm(), dhx.data(), tape.head_in.data(), p.final_norm(), R, d.C,
                      d.eps);
  tape.dh.assign(size_t(d.M * d.C), 0.f);
  for (int64_t r = 0; r < R; ++r)
    k::add_inplace(tape.dh.data() + rows[size_t(r)] * d.C, dhin.data() + r * d.C, d.C);

  backward_layers(p, g, d, allow, tape);

  // Embedding scatter: dembed[tokens[i]] += dh[i]; columns split over threads, rows in order.
  float* de = g.embed();
  const float* dh = tape.dh.data();
  global_pool().parallel_for(
      d.C,
      [&](int64_t c0, int64_t c1, int) {
        for (int64_t i = 0; i < d.M; ++i) {
          float* dst = de + int64_t(tokens[i]) * d.C;
          for (int64_t c = c0; c < c1; ++c) dst[c] += dh[i * d.C + c];
        }
      },
      16);
  return loss;
}

double loss_and_grad(const ModelParams& p, const int32_t* tokens, int64_t B, int64_t N, const uint8_t* allow,
                     const HeadTargets& t, ModelParams* grads, TrainTape& tape) {
  train_forward_head(p, tokens, B, N, allow, t, tape);
  if (grads) return train_backward_from_head(p, tokens, allow, t.weights, *grads, tape);
  double loss = 0;
  for (size_t r = 0; r < t.rows.size(); ++r) loss += double(t.weights[r]) * tape.row_loss[r];
  return loss;
}

}  // namespace dc
