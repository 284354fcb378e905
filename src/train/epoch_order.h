// The order in which a run visits n items (training sequences, RL prompts), epoch by epoch: item number
// c (0, 1, ...) is perm_e[c % n] of epoch e = c / n, where perm_e is a Fisher-Yates shuffle drawn from
// Rng(seed).fork(kEpochOrderStream + e). Its whole state is c, so a resumed run continues the same order.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/rng.h"

namespace dc::train {

inline constexpr uint64_t kEpochOrderStream = 1ull << 41;

class EpochOrder {
 public:
  EpochOrder(int64_t n, uint64_t seed) : n_(n), seed_(seed) {}

  // The item visited at position c; the shuffle of c's epoch is drawn once and kept.
  int64_t at(int64_t c) {
    const int64_t e = c / n_;
    if (e != epoch_) {
      perm_.resize(size_t(n_));
      for (int64_t i = 0; i < n_; ++i) perm_[size_t(i)] = i;
      Rng r = Rng(seed_).fork(kEpochOrderStream + uint64_t(e));
      for (int64_t i = n_ - 1; i > 0; --i) std::swap(perm_[size_t(i)], perm_[r.below(uint64_t(i + 1))]);
      epoch_ = e;
    }
    return perm_[size_t(c % n_)];
  }

 private:
  int64_t n_;
  uint64_t seed_;
  int64_t epoch_ = -1;
  std::vector<int64_t> perm_;
};

}  // namespace dc::train
