// Scripted stand-ins for a model, used by the sampler tests (header-only, test code).
//  * ScriptedDenoiser: logits are an integer formula of the row's unpadded canvas and the predicted
//    position; scripts/twin/sampler_twin.py implements the same formula (fake_logits_for), so the twin's
//    trajectories on it are an oracle of the sampler alone.
//  * FixedDenoiser: logits depend only on the position relative to the first generated slot; used by the
//    statistical tests, where the expected distributions follow from the logits in closed form.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/denoiser.h"

namespace dc::testing {

class ScriptedDenoiser : public Denoiser {
 public:
  static constexpr int64_t kVocab = 48;
  static constexpr int32_t kMask = 47;
  static constexpr int32_t kPad = 46;

  int64_t vocab_size() const override { return kVocab; }
  int32_t mask_token_id() const override { return kMask; }

  void predict(const CanvasBatch& batch, std::span<const PredictionRef> wanted, float* logits) override {
    ++calls;
    for (size_t r = 0; r < wanted.size(); ++r) {
      const int64_t b = wanted[r].row, N = batch.length;
      int64_t pad = 0;
      if (!batch.valid.empty()) {
        while (pad < N && !batch.valid[size_t(b * N + pad)]) ++pad;
      }
      // h = sum_j (c_j + 1) * (j + 3) mod 1000003 over the unpadded row.
      int64_t h = 0;
      for (int64_t j = 0; pad + j < N; ++j)
        h = (h + (int64_t(batch.tokens[size_t(b * N + pad + j)]) + 1) * (j + 3)) % 1000003;
      const int64_t q = wanted[r].position - pad;
      const int64_t off = (7 * h + 13 * q) % 53;
      const int64_t sc = 1 + (5 * h + 11 * q) % 61;
      for (int64_t v = 0; v < kVocab; ++v) logits[r * kVocab + v] = float(((17 * v + off) % 53) * sc) / 64.0f;
      logits[r * kVocab + kMask] = -1.0f;  // the mask token never wins (see sampler_twin.py)
    }
  }

  int calls = 0;
};

// logits_by_offset[q] are the logits predicting generated slot q (position - prompt_length, where
// prompt_length is the padded prompt length P of the batch).
class FixedDenoiser : public Denoiser {
 public:
  FixedDenoiser(std::vector<std::vector<float>> logits_by_offset, int32_t mask, int64_t prompt_length)
      : logits_(std::move(logits_by_offset)), mask_(mask), P_(prompt_length) {}

  int64_t vocab_size() const override { return int64_t(logits_[0].size()); }
  int32_t mask_token_id() const override { return mask_; }

  void predict(const CanvasBatch& batch, std::span<const PredictionRef> wanted, float* logits) override {
    const int64_t V = vocab_size();
    for (size_t r = 0; r < wanted.size(); ++r) {
      const auto& row = logits_.at(size_t(wanted[r].position - P_));
      for (int64_t v = 0; v < V; ++v) logits[int64_t(r) * V + v] = row[size_t(v)];
    }
  }

 private:
  std::vector<std::vector<float>> logits_;
  int32_t mask_;
  int64_t P_;
};

}  // namespace dc::testing
