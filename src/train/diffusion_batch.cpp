#include "train/diffusion_batch.h"

#include "core/error.h"

namespace dc::train {

DiffusionBatch make_diffusion_batch(const std::vector<TokenSequence>& seqs, int32_t mask_id, int shift,
                                    double eps, double anneal_p, Rng& rng) {
  DiffusionBatch out;
  out.B = int64_t(seqs.size());
  DC_ASSERT(out.B > 0, "empty diffusion batch");
  out.N = int64_t(seqs[0].tokens.size());
  const int64_t B = out.B, N = out.N;
  out.tokens.resize(size_t(B * N));
  out.t.resize(size_t(B));
  std::vector<int64_t> pos_of;  // (masked) b*N + p of each masked position
  for (int64_t b = 0; b < B; ++b) {
    const TokenSequence& s = seqs[size_t(b)];
    DC_ASSERT(int64_t(s.tokens.size()) == N, "sequences of one batch differ in length");
    const double t = eps + (1.0 - eps) * rng.uniform_double();
    out.t[size_t(b)] = float(t);
    for (int64_t p = 0; p < N; ++p) {
      const int32_t tok = s.tokens[size_t(p)];
      const bool maskable = p >= shift && p >= s.prompt_len;
      // One draw per position whether maskable or not, so the stream does not depend on the prompt split.
      const bool masked = rng.uniform_double() < t && maskable;
      out.tokens[size_t(b * N + p)] = masked ? mask_id : tok;
      if (masked) pos_of.push_back(b * N + p);
    }
  }
  out.masked = int64_t(pos_of.size());
  for (int64_t j : pos_of) {
    const int64_t b = j / N;
    out.head.rows.push_back(j - shift);
    out.head.targets.push_back(seqs[size_t(b)].tokens[size_t(j % N)]);
    out.head.weights.push_back(float(1.0 / (double(out.t[size_t(b)]) * double(out.masked))));
  }
  if (anneal_p < 1.0) {
    out.allow.assign(size_t(B * N * N), 1);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < N; ++i)
        for (int64_t j = i + 1; j < N; ++j)
          out.allow[size_t((b * N + i) * N + j)] = rng.uniform_double() < anneal_p ? 1 : 0;
  }
  return out;
}

}  // namespace dc::train
