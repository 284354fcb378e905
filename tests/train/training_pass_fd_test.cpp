// The whole Dream training pass against central finite differences of a double-precision reference model
// built from the kernels/ref/backward_ref.h forwards, on a tiny random configuration, with and without a
// partial (annealing) attention mask. Checks every tensor at a few sampled elements.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"
#include "kernels/ref/backward_ref.h"
#include "model/training_pass.h"
#include "train/init_params.h"

namespace dc {
namespace {

namespace r = kernels::ref;
using Vec = std::vector<double>;

struct Batch {
  int64_t B = 2, N = 6;
  std::vector<int32_t> tokens;
  std::vector<uint8_t> allow;  // empty = full
  HeadTargets head;
};

// The loss of loss_and_grad in double, from parameters P (same layout as ModelParams).
double reference_loss(const ModelConfig& c, const TensorIndex& at, const std::vector<Vec>& P,
                      const Batch& b) {
  const int64_t B = b.B, N = b.N, M = B * N, C = c.hidden_size, H = c.num_attention_heads;
  const int64_t Hkv = c.num_key_value_heads, D = c.head_dim, F = c.intermediate_size, V = c.vocab_size;
  const int64_t HD = H * D, KD = Hkv * D;
  std::vector<int32_t> pos(static_cast<size_t>(M));
  for (int64_t i = 0; i < M; ++i) pos[size_t(i)] = int32_t(i % N);
  Vec h(static_cast<size_t>(M * C));
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < C; ++j)
      h[size_t(i * C + j)] = P[size_t(at.embed)][size_t(b.tokens[size_t(i)] * C + j)];
  Vec x(h.size()), q(static_cast<size_t>(M * HD)), k(static_cast<size_t>(M * KD)), v(k.size()), att(q.size()),
      proj(h.size()), g(static_cast<size_t>(M * F)), u(g.size()), a(g.size());
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    auto w = [&](TensorSlot s) -> const double* {
      const int64_t i = at.of(l, s);
      return i < 0 ? nullptr : P[size_t(i)].data();
    };
    r::rmsnorm_f64(x.data(), h.data(), w(TensorSlot::AttnNorm), M, C, c.rms_norm_eps);
    r::linear_f64(q.data(), x.data(), w(TensorSlot::Wq), w(TensorSlot::Bq), M, HD, C);
    r::linear_f64(k.data(), x.data(), w(TensorSlot::Wk), w(TensorSlot::Bk), M, KD, C);
    r::linear_f64(v.data(), x.data(), w(TensorSlot::Wv), w(TensorSlot::Bv), M, KD, C);
    r::rope_f64(q.data(), pos.data(), M, H, D, c.rope_theta);
    r::rope_f64(k.data(), pos.data(), M, Hkv, D, c.rope_theta);
    for (int64_t s = 0; s < B; ++s)
      r::attention_f64(att.data() + s * N * HD, q.data() + s * N * HD, k.data() + s * N * KD,
                       v.data() + s * N * KD, N, H, Hkv, D,
                       b.allow.empty() ? nullptr : b.allow.data() + s * N * N);
    r::linear_f64(proj.data(), att.data(), w(TensorSlot::Wo), nullptr, M, C, HD);
    for (size_t i = 0; i < h.size(); ++i) h[i] += proj[i];
    r::rmsnorm_f64(x.data(), h.data(), w(TensorSlot::MlpNorm), M, C, c.rms_norm_eps);
    r::linear_f64(g.data(), x.data(), w(TensorSlot::Gate), nullptr, M, F, C);
    r::linear_f64(u.data(), x.data(), w(TensorSlot::Up), nullptr, M, F, C);
    r::swiglu_f64(a.data(), g.data(), u.data(), M * F);
    r::linear_f64(proj.data(), a.data(), w(TensorSlot::Down), nullptr, M, C, F);
    for (size_t i = 0; i < h.size(); ++i) h[i] += proj[i];
  }
  const int64_t R = int64_t(b.head.rows.size());
  Vec hr(static_cast<size_t>(R * C)), xr(hr.size()), logits(static_cast<size_t>(R * V));
  for (int64_t i = 0; i < R; ++i)
    for (int64_t j = 0; j < C; ++j) hr[size_t(i * C + j)] = h[size_t(b.head.rows[size_t(i)] * C + j)];
  r::rmsnorm_f64(xr.data(), hr.data(), P[size_t(at.final_norm)].data(), R, C, c.rms_norm_eps);
  const double* head = c.tie_word_embeddings ? P[size_t(at.embed)].data() : P[size_t(at.head)].data();
  r::linear_f64(logits.data(), xr.data(), head, nullptr, R, V, C);
  return r::cross_entropy_f64(logits.data(), b.head.targets.data(), b.head.weights.data(), R, V);
}

void check_model(bool masked, bool tied, Arch arch = Arch::Dream) {
  ModelConfig c;
  c.arch = arch;
  c.model_type = arch_traits(arch).model_type;
  c.hidden_size = 16;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 4;
  c.intermediate_size = 24;
  c.vocab_size = 32;
  c.rms_norm_eps = 1e-6;
  c.rope_theta = 10000.0;
  c.tie_word_embeddings = tied;
  c.mask_token_id = 31;
  ModelParams p = train::init_params(c, 5, 0.3);
  Rng rng(17);
  for (ParamTensor& t : p.tensors)  // norms around 1, biases around 0, so none is trivial
    if (t.shape.size() == 1)
      for (float& x : t.data) x += (rng.uniform() - 0.5f) * 0.4f;
  Batch b;
  for (int64_t i = 0; i < b.B * b.N; ++i) b.tokens.push_back(int32_t(rng.below(32)));
  for (int64_t row : {0, 2, 3, 7, 10}) {
    b.head.rows.push_back(row);
    b.head.targets.push_back(int32_t(rng.below(32)));
    b.head.weights.push_back(0.5f + rng.uniform());
  }
  if (masked) {
    b.allow.assign(size_t(b.B * b.N * b.N), 1);
    for (int64_t s = 0; s < b.B; ++s)
      for (int64_t i = 0; i < b.N; ++i)
        for (int64_t j = i + 1; j < b.N; ++j) b.allow[size_t((s * b.N + i) * b.N + j)] = rng.uniform() < 0.4f;
  }
  ModelParams g = params_zeros(c);
  TrainTape tape;
  const double loss = loss_and_grad(p, b.tokens.data(), b.B, b.N, b.allow.empty() ? nullptr : b.allow.data(),
                                    b.head, &g, tape);
  std::vector<Vec> P;
  for (const ParamTensor& t : p.tensors) P.emplace_back(t.data.begin(), t.data.end());
  EXPECT_NEAR(loss, reference_loss(c, p.index, P, b), 1e-4 * std::fabs(loss));
  const double h = 1e-5;
  for (size_t t = 0; t < P.size(); ++t) {
    double largest = 0;  // the checked gradients of each tensor must not all be negligible
    const size_t n = P[t].size();
    for (size_t e : {size_t(0), n / 3, n / 2, n - 1}) {
      const double x0 = P[t][e];
      P[t][e] = x0 + h;
      const double lp = reference_loss(c, p.index, P, b);
      P[t][e] = x0 - h;
      const double lm = reference_loss(c, p.index, P, b);
      P[t][e] = x0;
      const double fd = (lp - lm) / (2 * h);
      largest = std::max(largest, std::fabs(fd));
      EXPECT_NEAR(g.tensors[t].data[e], fd, 1e-4 + 1e-3 * std::fabs(fd))
          << p.tensors[t].name << " [" << e << "]";
    }
    EXPECT_GT(largest, 1e-3) << p.tensors[t].name;
  }
}

TEST(DreamFiniteDifferences, FullAttention) {
  check_model(false, false);
}
TEST(DreamFiniteDifferences, AnnealedAttentionMask) {
  check_model(true, false);
}
TEST(DreamFiniteDifferences, TiedHead) {
  check_model(false, true);
}
TEST(LladaFiniteDifferences, NoBiasesUntiedHead) {
  check_model(false, false, Arch::Llada);
}
TEST(LladaFiniteDifferences, NoBiasesTiedHeadAnnealedMask) {
  check_model(true, true, Arch::Llada);
}

}  // namespace
}  // namespace dc
