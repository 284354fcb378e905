// The transformer forward pass of both architectures (architecture.h): a Llama-style network with fully
// bidirectional attention, GQA, rotate-half RoPE, an untied or tied head, over left-padded batches. Dream
// (SPEC §1) adds q/k/v biases and shifted logits; LLaDA (docs/LLADA.md §4) has neither.
//
// The pass is straight-line code over named buffers: each layer is an ordered list of kernel calls
// (src/kernels/ops.h). It is shaped for three users:
//  * decoding (Denoiser::predict): the whole canvas, then the final norm and lm_head only at the raw rows
//    of the requested positions p (p-1 with shifted logits, p without);
//  * cached decoding (SPEC §4, predict_cached): forward() runs the layers for one contiguous slice
//    [begin, end) of query positions of every canvas, forward_rows() for any rows (QueryRows: a sparse
//    cache's scattered rows). Keys/values of the rows are computed and written into a KvCache that holds
//    all N positions; attention reads the whole cache, so positions outside the rows use whatever an
//    earlier pass stored there (a prefix cache keeps [0, block), a dual cache also the suffix, a sparse
//    cache every row it does not run). A full pass is the slice [0, N);
//  * training (not implemented here): with keep_activations every layer's inputs and intermediates stay in
//    ForwardActivations for a backward pass that mirrors forward(); post-RoPE keys/values are in the cache.
//
// Positions follow Dream's reference: cumsum(valid) - 1 for real tokens, 1 for pad slots; rows of pad
// queries attend to nothing and come out finite (attention output 0). LLaDA numbers positions 0..N-1 and
// lets pad queries attend; RoPE scores depend only on position differences and pad keys are masked in both,
// so the logits of real rows agree to rounding (docs/LLADA.md §4), and pad rows are never read.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kernels/ops.h"
#include "model/checkpoint.h"
#include "model/denoiser.h"
#include "model/model_weights.h"

namespace dc {

// Post-RoPE keys and values of every layer for B canvases of N positions: k[l], v[l] are (B, N, Hkv*D).
struct KvCache {
  int64_t batch = 0;                     // B
  int64_t length = 0;                    // N
  std::vector<std::vector<float>> k, v;  // [L] of (B, N, Hkv*D)

  // (Re)allocates for B x N (contents undefined until a forward pass writes them). No-op if unchanged.
  void resize(const ModelConfig& cfg, int64_t batch, int64_t length);
};

// The query rows of one pass: canvas b's rows are the positions positions[first[b] .. first[b + 1]),
// ascending and distinct; row m of the pass is entry m. A slice [begin, end) of every canvas is the
// contiguous case (row m = canvas m / S, position begin + m % S, M = B*S).
struct QueryRows {
  std::vector<int64_t> first;      // (B + 1)
  std::vector<int32_t> positions;  // (M)
  static QueryRows slice(int64_t batch, int64_t begin, int64_t end);
  int64_t rows() const { return int64_t(positions.size()); }
};

// Intermediates of one layer for the M rows of a pass (QueryRows; M = B*S for a slice).
struct LayerActivations {
  std::vector<float> h_in;   // (M, C) residual stream entering the layer
  std::vector<float> x;      // (M, C) input_layernorm(h_in)
  std::vector<float> qkv;    // (M, (H + 2 Hkv) D) x Wqkv^T + b (before RoPE)
  std::vector<float> q;      // (M, H D) post-RoPE queries
  std::vector<float> att;    // (M, H D) attention output, before o_proj
  std::vector<float> h_mid;  // (M, C) h_in + o_proj(att)
  std::vector<float> x2;     // (M, C) post_attention_layernorm(h_mid)
  std::vector<float> gate;   // (M, F)
  std::vector<float> up;     // (M, F)
  std::vector<float> act;    // (M, F) silu(gate) * up
};

// Everything one forward() call produces. Reused across calls (buffers only grow).
struct ForwardActivations {
  int64_t batch = 0;           // B canvases
  QueryRows rows;              // the pass's rows
  std::vector<int32_t> pos;    // (M) RoPE position of each row
  std::vector<uint8_t> valid;  // (B, N) 1 = real token (all ones when the batch has no padding)
  std::vector<float> hidden;   // (M, C) residual stream after the last layer (before model.norm)
  // [L] when keep_activations, else [1] reused by every layer (holds the last layer's values).
  std::vector<LayerActivations> layers;
};

// Not thread-safe: calls share scratch buffers (and the kernels share the global pool); one at a time.
class TransformerModel : public Denoiser {
 public:
  // Opens a checkpoint folder (config.json + safetensors) and packs its weights. Throws dc::Error.
  explicit TransformerModel(const std::string& dir);
  explicit TransformerModel(Checkpoint ckpt);

  const ModelConfig& config() const { return ckpt_.config(); }
  const ModelWeights& weights() const { return w_; }
  int64_t vocab_size() const override { return ckpt_.config().vocab_size; }
  // config.json's mask id until set_mask_token_id gives the resolved one (special_tokens.h).
  int32_t mask_token_id() const override { return mask_id_ >= 0 ? mask_id_ : ckpt_.config().mask_token_id; }
  void set_mask_token_id(int32_t id) { mask_id_ = id; }
  // How products with BF16 weights treat activations (kernels/ops.h); exact unless set.
  kernels::Precision precision() const { return precision_; }
  void set_precision(kernels::Precision p) { precision_ = p; }

  // Denoiser: logits[r*V + v] for each wanted (row, position), from raw row position-1. Throws dc::Error for
  // a token id outside [0, V), a position outside [1, N), a row outside [0, B) or a malformed batch.
  void predict(const CanvasBatch& batch, std::span<const PredictionRef> wanted, float* logits) override;

  // Raw (unshifted) logits: logits[r*V + v] for raw row raw_rows[r] = b*N + i, the output at hidden state i
  // of canvas b (it predicts position i+1 with shifted logits, i without). Pad rows are allowed and finite.
  // Full pass over every canvas.
  // Denoiser: a refresh is the full pass above (bit for bit) and keeps every position's keys/values in the
  // decoding cache; a window call runs the query slice [begin - shift, end) against it, so its logits
  // differ from a full pass only by what changed outside the slice since the refresh. Throws dc::Error
  // for a window on slots that no refresh filled, or a wanted position outside the window.
  void predict_cached(const CanvasBatch& batch, const CacheWindow& window,
                      std::span<const PredictionRef> wanted, float* logits) override;

  void raw_logits(const CanvasBatch& batch, std::span<const int64_t> raw_rows, float* logits);
  int64_t query_rows() const override { return query_rows_; }

  // Runs every layer for query positions [begin, end) of every canvas (see the file comment). Writes the
  // slice's keys/values into `cache` (resized for B x N if needed; other positions are read as they are) and
  // the final residual stream into acts.hidden (M = B*(end-begin) rows). Throws dc::Error on bad input.
  // With cache_rows, canvas b uses slot cache_rows[b] of a cache already sized for this length (see
  // CacheWindow), instead of slot b of a cache resized to the batch.
  void forward(const CanvasBatch& batch, int64_t begin, int64_t end, KvCache& cache, ForwardActivations& acts,
               bool keep_activations = false, std::span<const int32_t> cache_rows = {});
  // The same for any query rows (a slice is QueryRows::slice; the result is the same bit for bit).
  void forward_rows(const CanvasBatch& batch, QueryRows rows, KvCache& cache, ForwardActivations& acts,
                    bool keep_activations = false, std::span<const int32_t> cache_rows = {});

  // logits (R, V) = lm_head(model.norm(hidden rows)) for rows[r] indexing acts.hidden (0 <= rows[r] < M).
  void head(const ForwardActivations& acts, std::span<const int64_t> rows, float* logits);

 private:
  void check_batch(const CanvasBatch& batch) const;
  // Head rows of a pass over the query slice [begin - shift, end) for each wanted prediction; throws for a
  // prediction outside [max(shift, begin), end) or a row outside the batch.
  std::vector<int64_t> head_rows(const CanvasBatch& batch, std::span<const PredictionRef> wanted,
                                 int64_t begin, int64_t end) const;
  // The rows of a sparse window (denoiser.h): each wanted prediction's read row and each stale position.
  QueryRows sparse_rows(const CanvasBatch& batch, std::span<const PredictionRef> wanted,
                        std::span<const PredictionRef> stale) const;
  // Head row of each wanted prediction in a pass over `rows` (the read row must be one of them).
  std::vector<int64_t> head_rows_in(const QueryRows& rows, std::span<const PredictionRef> wanted) const;

  Checkpoint ckpt_;
  int32_t mask_id_ = -1;
  kernels::Precision precision_ = kernels::Precision::Exact;
  ModelWeights w_;
  KvCache cache_;                            // scratch cache for full passes (predict, raw_logits)
  KvCache decode_cache_;                     // the cache of predict_cached, kept between calls
  std::vector<uint8_t> decode_cache_fresh_;  // (cache slots) 1 once a refresh filled the slot
  ForwardActivations acts_;                  // scratch activations for full passes
  std::vector<float> head_x_;                // (R, C) normalised rows for the head
  int64_t query_rows_ = 0;                   // rows run by forward_rows, summed over calls
};

// RoPE positions for every slot of a canvas batch (B*N): cumsum(valid) - 1 for real tokens, 1 for pad
// slots (the reference's choice; a pad query sees nothing, so it never matters); 0..N-1 without padding.
std::vector<int32_t> canvas_positions(const CanvasBatch& batch);

}  // namespace dc
