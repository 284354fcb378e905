// The contract between a model and the diffusion samplers (src/decode/): "given these canvases, give me
// the logits that predict these positions". The samplers know nothing else about the network, so they can
// be tested against a scripted fake, and the Dream model, a LLaDA model or a cached variant can be swapped
// in.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace dc {

// A batch of B canvases of equal length N, left-padded: tokens[b*N + i]; valid[b*N + i] = 1 for real
// tokens (prompt or canvas slots, masks included), 0 for left padding. `valid` empty means no padding.
struct CanvasBatch {
  int64_t batch = 0;   // B
  int64_t length = 0;  // N
  std::span<const int32_t> tokens;
  std::span<const uint8_t> valid;
};

// One requested prediction: the token at canvas position `position` of sequence `row`.
struct PredictionRef {
  int32_t row = 0;
  int32_t position = 0;
};

// A cached model call (SPEC §4). The model keeps keys/values for `cache_batch` canvases; batch row b is
// canvas slot cache_rows[b] of that cache (the sampler leaves finished canvases out of a call but keeps
// their slots). A refresh runs every position of the batch and stores all their keys/values; a window
// call runs only the positions [begin, end) (plus, with shifted logits, the row that predicts `begin`)
// against the keys/values stored for the others, and every wanted position must lie in [begin, end).
//
// Two refinements, both approximations of the same kind as the window itself (stored keys/values stand
// in for recomputed ones):
//  * refresh_from > 0 (refresh only): positions [0, refresh_from) keep what an earlier refresh of the
//    same slots stored, and only [refresh_from, N) run (with shifted logits also the row before, which
//    predicts refresh_from): the prompt's keys/values are computed by a generation's first refresh and
//    never again.
//  * sparse (window only): instead of [begin, end), run just the rows the wanted predictions read
//    (position - 1 with shifted logits, position without) and the positions in `stale` (for the sampler,
//    those committed at its last step, whose stored keys/values still hold the mask token): delayed
//    caching of committed tokens (dKV-Cache). begin and end still bound the wanted positions.
struct CacheWindow {
  CacheWindow() = default;
  CacheWindow(bool refresh_, int64_t begin_, int64_t end_, int64_t cache_batch_,
              std::span<const int32_t> cache_rows_)
      : refresh(refresh_), begin(begin_), end(end_), cache_batch(cache_batch_), cache_rows(cache_rows_) {}

  bool refresh = false;
  int64_t begin = 0, end = 0;            // canvas positions of a window call
  int64_t cache_batch = 0;               // canvas slots of the cache (the sampler's batch size)
  std::span<const int32_t> cache_rows;   // (B) slot of each batch row
  int64_t refresh_from = 0;              // refresh: first position to recompute
  bool sparse = false;                   // window: only the rows named above
  std::span<const PredictionRef> stale;  // sparse window: positions to recompute besides the read rows
};

class Denoiser {
 public:
  virtual ~Denoiser() = default;
  virtual int64_t vocab_size() const = 0;  // number of logit columns V
  virtual int32_t mask_token_id() const = 0;
  // Writes logits[r*V + v] for each requested prediction r (fp32). For Dream-family models with shifted
  // logits, the prediction for position p comes from the hidden state of raw row p-1 (SPEC §1); position 0
  // must not be requested. Only the requested rows go through the final norm and lm_head.
  virtual void predict(const CanvasBatch& batch, std::span<const PredictionRef> wanted, float* logits) = 0;

  // The same prediction through the model's key/value cache (see CacheWindow). A model without one runs
  // the full pass, which is what an exact cache would give.
  virtual void predict_cached(const CanvasBatch& batch, const CacheWindow& window,
                              std::span<const PredictionRef> wanted, float* logits) {
    (void)window;
    predict(batch, wanted, logits);
  }
  // Query rows (canvas positions run through the layers) over every call so far; 0 if not counted.
  virtual int64_t query_rows() const { return 0; }
};

}  // namespace dc
