// Decoding with the training parameters (see params_denoiser.h).
#include "train/params_denoiser.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace dc::train {

void ParamsDenoiser::predict(const CanvasBatch& batch, std::span<const PredictionRef> wanted, float* logits) {
  const int64_t B = batch.batch, N = batch.length, V = p_.config.vocab_size;
  if (B <= 0 || N <= 0 || int64_t(batch.tokens.size()) != B * N)
    throw_error("training-parameter denoiser: malformed batch ({} x {}, {} tokens)", B, N,
                batch.tokens.size());
  if (!batch.valid.empty() &&
      std::find(batch.valid.begin(), batch.valid.end(), uint8_t(0)) != batch.valid.end())
    throw_error(
        "training-parameter denoiser: padded batches are not supported (decode one prompt length at a time)");
  head_.rows.clear();
  head_.targets.assign(wanted.size(), 0);
  head_.weights.assign(wanted.size(), 0.f);
  const int shift = logit_shift(p_.config.arch);
  for (const PredictionRef& w : wanted) {
    if (w.row < 0 || w.row >= B || w.position < shift || w.position >= N)
      throw_error("training-parameter denoiser: prediction ({}, {}) outside the {} x {} batch", w.row,
                  w.position, B, N);
    head_.rows.push_back(int64_t(w.row) * N + w.position - shift);
  }
  if (wanted.empty()) return;
  train_forward_head(p_, batch.tokens.data(), B, N, nullptr, head_, tape_);
  std::memcpy(logits, tape_.logits.data(), wanted.size() * size_t(V) * sizeof(float));
}

}  // namespace dc::train
