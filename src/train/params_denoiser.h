// The fp32 training parameters as a Denoiser, so that the diffusion sampler can decode with a policy
// that is being trained (reinforcement-learning rollouts) without writing and reloading a checkpoint.
// It runs the training forward (training_pass.h), which has no padding: every canvas of a batch must be
// real tokens only (the completions of one prompt are). Slower per token than TransformerModel, whose weights
// are packed once; the parameters here change every step.
#pragma once

#include "model/denoiser.h"
#include "model/training_pass.h"

namespace dc::train {

class ParamsDenoiser : public Denoiser {
 public:
  // Keeps a reference: `params` must outlive this object and may change between predict() calls.
  ParamsDenoiser(const ModelParams& params, int32_t mask_token_id) : p_(params), mask_(mask_token_id) {}

  int64_t vocab_size() const override { return p_.config.vocab_size; }
  int32_t mask_token_id() const override { return mask_; }
  // Throws dc::Error for a padded batch, a position outside [1, N) or a row outside [0, B).
  void predict(const CanvasBatch& batch, std::span<const PredictionRef> wanted, float* logits) override;

 private:
  const ModelParams& p_;
  int32_t mask_;
  TrainTape tape_;
  HeadTargets head_;
};

}  // namespace dc::train
