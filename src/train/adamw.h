// AdamW with decoupled weight decay (Loshchilov & Hutter), a linear warm-up + cosine learning-rate
// schedule and global-norm gradient clipping, over the ModelParams layout (moments share it).
//
// Update for step s (1-based) with lr = schedule(s):
//   g <- g * min(1, clip / ||g||)  (if clip > 0);  m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2
//   p <- p - lr * (m / (1 - b1^s)) / (sqrt(v / (1 - b2^s)) + eps) - lr * wd * p
// Weight decay applies to 2-D tensors (weight matrices and the embedding) only, not to norms or biases.
// Moments and updates are fp32; every element has one writer (bit-identical for any thread count).
#pragma once

#include <cstdint>

#include "model/training_pass.h"

namespace dc::train {

struct AdamWOptions {
  double lr = 3e-4;           // peak learning rate
  double min_lr_ratio = 0.1;  // cosine floor as a fraction of lr
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double weight_decay = 0.1;
  double clip = 1.0;  // max global gradient norm; <= 0 disables clipping
};

// lr at step s (1-based): lr * s / warmup during warm-up, then cosine from lr down to min_lr_ratio * lr at
// total_steps (and constant after).
double learning_rate(const AdamWOptions& o, int64_t step);

// sqrt(sum of squares) of every gradient, accumulated in double in the fixed tensor order.
double global_grad_norm(const ModelParams& g);

class AdamW {
 public:
  AdamW(const AdamWOptions& o, const ModelParams& like);  // zero moments in the layout of `like`

  // One update at step `step` (1-based). Clips g in place. Returns the learning rate used.
  double update(ModelParams& p, ModelParams& g, int64_t step, double grad_norm);

  const AdamWOptions& options() const { return o_; }
  ModelParams& m() { return m_; }
  ModelParams& v() { return v_; }

 private:
  AdamWOptions o_;
  ModelParams m_, v_;
};

}  // namespace dc::train
