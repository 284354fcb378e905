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

class Denoiser {
 public:
  virtual ~Denoiser() = default;
  virtual int64_t vocab_size() const = 0;  // number of logit columns V
  virtual int32_t mask_token_id() const = 0;
  // Writes logits[r*V + v] for each requested prediction r (fp32). For Dream-family models with shifted
  // logits, the prediction for position p comes from the hidden state of raw row p-1 (SPEC §1); position 0
  // must not be requested. Only the requested rows go through the final norm and lm_head.
  virtual void predict(const CanvasBatch& batch, std::span<const PredictionRef> wanted, float* logits) = 0;
};

}  // namespace dc
