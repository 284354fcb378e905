// Training pass of both architectures (SPEC §1, §5; architecture.h): fp32 master parameters in Hugging Face
// layout, a forward that keeps every intermediate on a tape, the weighted cross-entropy head over selected
// rows, and the backward pass written by hand as the mirror image of that forward (llm.c style,
// kernels/backward.h).
//
// The forward is the same network as TransformerModel::forward (transformer_model.h) specialised for
// training: every sequence is full length (no padding: SFT responses are filled with <|dlm_pad|>, a real
// token), positions are 0..N-1, and attention takes an optional per-(query, key) mask for causal-to-full
// annealing. It runs on the fp32 parameters directly (weights change every step; the GEMMs pack them per
// call). The inference forward is the oracle for the training forward in the tests.
//
// Buffer shapes: B sequences of N positions, M = B*N rows (row b*N + i), C hidden, H/Hkv heads of D,
// HD = H*D, KD = Hkv*D, F FFN width, V vocabulary, R head rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/tensor_table.h"

namespace dc {

struct ParamTensor {
  std::string name;            // Hugging Face name, e.g. "model.layers.0.self_attn.q_proj.weight"
  std::vector<int64_t> shape;  // PyTorch order
  std::vector<float> data;     // fp32, row-major
};

// All trainable tensors of a model, in tensor_table order (the one layout shared by parameters, gradients
// and optimizer moments). Dream: embed_tokens; per layer input_layernorm, q/k/v weights and biases,
// o_proj, post_attention_layernorm, gate, up, down; model.norm; lm_head unless tied. LLaDA: the same
// without biases, in its own names (tensor_table.h).
struct ModelParams {
  ModelConfig config;
  std::vector<ParamTensor> tensors;
  TensorIndex index;  // (layer, slot) -> position in `tensors`

  float* embed() { return tensors[size_t(index.embed)].data.data(); }
  const float* embed() const { return tensors[size_t(index.embed)].data.data(); }
  // The tensor of `slot` in layer l, or nullptr when the architecture has none (LLaDA's biases).
  float* layer(int64_t l, TensorSlot s) {
    const int64_t i = index.of(l, s);
    return i < 0 ? nullptr : tensors[size_t(i)].data.data();
  }
  const float* layer(int64_t l, TensorSlot s) const {
    const int64_t i = index.of(l, s);
    return i < 0 ? nullptr : tensors[size_t(i)].data.data();
  }
  float* final_norm() { return tensors[size_t(index.final_norm)].data.data(); }
  const float* final_norm() const { return tensors[size_t(index.final_norm)].data.data(); }
  // The output head, or the embedding when tied.
  float* lm_head() { return config.tie_word_embeddings ? embed() : tensors[size_t(index.head)].data.data(); }
  const float* lm_head() const {
    return config.tie_word_embeddings ? embed() : tensors[size_t(index.head)].data.data();
  }
  int64_t numel() const;
  void set_zero();  // every element 0 (gradients before a step)
};

// Names and shapes for `cfg` (data zero-filled).
ModelParams params_zeros(const ModelConfig& cfg);
// The checkpoint's tensors (validate_tensors) widened to fp32. Throws dc::Error.
ModelParams params_from_checkpoint(const Checkpoint& ckpt);
// The parameters as a checkpoint of F32 views (Checkpoint::from_views): `p` must outlive it, and anything
// built from it sees later changes only where it kept a view (norms, embedding), so rebuild after a change.
Checkpoint params_checkpoint(const ModelParams& p, std::string label);
// Writes the parameters as one safetensors file in F32 or BF16 (round to nearest even). Atomic; throws
// dc::Error on I/O errors.
void save_params(const ModelParams& p, const std::string& path, DType dtype);

// Rows of the head: raw row rows[r] = b*N + i (the output at position i, which predicts position i+1),
// its target token and its weight in the loss.
struct HeadTargets {
  std::vector<int64_t> rows;
  std::vector<int32_t> targets;
  std::vector<float> weights;
};

struct LayerTape {
  std::vector<float> h_in;   // (M, C) residual stream entering the layer
  std::vector<float> x;      // (M, C) input_layernorm(h_in)
  std::vector<float> q;      // (M, HD) post-RoPE queries
  std::vector<float> k;      // (M, KD) post-RoPE keys
  std::vector<float> v;      // (M, KD) values
  std::vector<float> att;    // (M, HD) attention output
  std::vector<float> lse;    // (B, H, N) log-sum-exp of each attention row
  std::vector<float> h_mid;  // (M, C) h_in + o_proj(att)
  std::vector<float> x2;     // (M, C) post_attention_layernorm(h_mid)
  std::vector<float> gate;   // (M, F)
  std::vector<float> up;     // (M, F)
  std::vector<float> act;    // (M, F) silu(gate) * up
};

// Everything the forward keeps for the backward, plus the backward's scratch. Reused across steps.
struct TrainTape {
  int64_t B = 0, N = 0;
  std::vector<int32_t> pos;       // (M) RoPE positions
  std::vector<LayerTape> layers;  // [L]
  std::vector<float> hidden;      // (M, C) residual stream after the last layer
  std::vector<float> head_in;     // (R, C) hidden rows gathered for the head
  std::vector<float> head_x;      // (R, C) model.norm(head_in)
  std::vector<float> logits;      // (R, V) logits, then dLoss/dlogits
  std::vector<double> row_loss;   // (R) unweighted cross-entropy of each head row
  std::vector<int64_t> rows;      // (R) the head's raw rows
  std::vector<int32_t> targets;   // (R) their targets
  std::vector<float> row_max;     // (R) max logit of each head row
  std::vector<double> row_sum;    // (R) sum of exp(logit - max) of each head row
  // Backward scratch.
  std::vector<float> dh, dx, dtmp, dhd, dq, dk, dv, dff_a, dff_b, dff_c;
};

// Forward over tokens (B, N) with attention mask allow (B, N, N) (nullable = full attention), then the
// head on t.rows and the loss sum_r weight[r] * CE_r, which is returned. If grads is non-null (same layout
// as p, e.g. from params_zeros), the backward pass adds dLoss/dparam into it. Token ids must be in
// [0, V) and rows in [0, B*N) (checked: dc::Error). Not re-entrant (kernels share the global pool).
double loss_and_grad(const ModelParams& p, const int32_t* tokens, int64_t B, int64_t N, const uint8_t* allow,
                     const HeadTargets& t, ModelParams* grads, TrainTape& tape);

// The same in two phases, for losses whose row weights depend on the forward's values (reinforcement
// learning): train_forward_head runs the forward and the head on t.rows and leaves tape.row_loss[r] =
// -log p(t.targets[r]) (t.weights is ignored); train_backward_from_head then adds the gradient of
// sum_r weights[r] * row_loss[r] into grads and returns that sum. `tokens` and `allow` must be those of
// the forward. loss_and_grad(…, &g, tape) == forward_head + backward_from_head(t.weights), exactly.
void train_forward_head(const ModelParams& p, const int32_t* tokens, int64_t B, int64_t N,
                        const uint8_t* allow, const HeadTargets& t, TrainTape& tape);
double train_backward_from_head(const ModelParams& p, const int32_t* tokens, const uint8_t* allow,
                                const std::vector<float>& weights, ModelParams& grads, TrainTape& tape);

}  // namespace dc
