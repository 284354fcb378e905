// The transformer forward pass; see transformer_model.h. Buffer shapes use B canvases of N positions, M query
// rows (QueryRows; B*S for a slice of S positions), C hidden, H/Hkv query/KV heads of D, F FFN width, V
// vocabulary.
#include "model/transformer_model.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"

namespace dc {

namespace k = kernels;

void KvCache::resize(const ModelConfig& cfg, int64_t b, int64_t n) {
  const size_t L = size_t(cfg.num_hidden_layers);
  const size_t per_layer = size_t(b * n * cfg.num_key_value_heads * cfg.head_dim);
  if (batch == b && length == n && k.size() == L && (L == 0 || k[0].size() == per_layer)) return;
  batch = b;
  length = n;
  k.assign(L, std::vector<float>(per_layer));
  v.assign(L, std::vector<float>(per_layer));
}

std::vector<int32_t> canvas_positions(const CanvasBatch& batch) {
  const int64_t B = batch.batch, N = batch.length;
  std::vector<int32_t> pos(size_t(B * N));
  for (int64_t b = 0; b < B; ++b) {
    int32_t seen = 0;
    for (int64_t i = 0; i < N; ++i) {
      const bool valid = batch.valid.empty() || batch.valid[size_t(b * N + i)] != 0;
      if (valid) ++seen;
      pos[size_t(b * N + i)] = valid ? seen - 1 : 1;
    }
  }
  return pos;
}

TransformerModel::TransformerModel(const std::string& dir) : TransformerModel(Checkpoint::open(dir)) {}

TransformerModel::TransformerModel(Checkpoint ckpt) : ckpt_(std::move(ckpt)), w_(load_model_weights(ckpt_)) {}

void TransformerModel::check_batch(const CanvasBatch& batch) const {
  const int64_t B = batch.batch, N = batch.length, V = vocab_size();
  if (B <= 0 || N <= 0) throw_error("model: empty batch ({} canvases of length {})", B, N);
  if (int64_t(batch.tokens.size()) != B * N)
    throw_error("model: {} tokens for {} canvases of length {} (expected {})", batch.tokens.size(), B, N,
                B * N);
  if (!batch.valid.empty() && int64_t(batch.valid.size()) != B * N)
    throw_error("model: padding mask has {} entries, expected {}", batch.valid.size(), B * N);
  for (int64_t j = 0; j < B * N; ++j) {
    const int32_t t = batch.tokens[size_t(j)];
    if (t < 0 || t >= V)
      throw_error("model: token id {} at canvas {} position {} is outside the vocabulary [0, {})", t, j / N,
                  j % N, V);
  }
}

QueryRows QueryRows::slice(int64_t batch, int64_t begin, int64_t end) {
  QueryRows q;
  q.first.resize(size_t(batch + 1));
  q.positions.reserve(size_t(batch * std::max<int64_t>(end - begin, 0)));
  for (int64_t b = 0; b < batch; ++b) {
    q.first[size_t(b)] = int64_t(q.positions.size());
    for (int64_t i = begin; i < end; ++i) q.positions.push_back(int32_t(i));
  }
  q.first[size_t(batch)] = int64_t(q.positions.size());
  return q;
}

void TransformerModel::forward(const CanvasBatch& batch, int64_t begin, int64_t end, KvCache& cache,
                               ForwardActivations& acts, bool keep_activations,
                               std::span<const int32_t> cache_rows) {
  if (begin < 0 || end > batch.length || begin >= end)
    throw_error("model: query slice [{}, {}) is not inside a canvas of length {}", begin, end, batch.length);
  forward_rows(batch, QueryRows::slice(batch.batch, begin, end), cache, acts, keep_activations, cache_rows);
}

void TransformerModel::forward_rows(const CanvasBatch& batch, QueryRows rows, KvCache& cache,
                                    ForwardActivations& acts, bool keep_activations,
                                    std::span<const int32_t> cache_rows) {
  check_batch(batch);
  const ModelConfig& c = config();
  const int64_t B = batch.batch, N = batch.length;
  if (int64_t(rows.first.size()) != B + 1 || rows.first[0] != 0 || rows.first[size_t(B)] != rows.rows() ||
      !std::is_sorted(rows.first.begin(), rows.first.end()))
    throw_error("model: query rows for {} canvases do not describe a batch of {}",
                int64_t(rows.first.size()) - 1, B);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t r = rows.first[size_t(b)]; r < rows.first[size_t(b + 1)]; ++r) {
      const int32_t i = rows.positions[size_t(r)];
      if (i < 0 || i >= N || (r > rows.first[size_t(b)] && i <= rows.positions[size_t(r - 1)]))
        throw_error("model: query position {} of canvas {} is outside [0, {}) or out of order", i, b, N);
    }
  }
  const int64_t M = rows.rows();
  if (M == 0) throw_error("model: a pass with no query rows");
  query_rows_ += M;
  const int64_t C = c.hidden_size, H = c.num_attention_heads, Hkv = c.num_key_value_heads, D = c.head_dim;
  const int64_t F = c.intermediate_size, HD = H * D, KD = Hkv * D, QKV = HD + 2 * KD;
  const float eps = float(c.rms_norm_eps);
  // Canvas b keeps its keys/values in cache slot slot_of[b]: b itself, or cache_rows[b] in a cache that
  // the caller sized (and partly filled) before.
  std::vector<int64_t> slot_of(static_cast<size_t>(B));
  if (cache_rows.empty()) {
    cache.resize(c, B, N);
    for (int64_t b = 0; b < B; ++b) slot_of[size_t(b)] = b;
  } else {
    if (int64_t(cache_rows.size()) != B || cache.length != N)
      throw_error("model: {} cache slots for {} canvases of length {} (the cache holds {} of length {})",
                  cache_rows.size(), B, N, cache.batch, cache.length);
    for (int64_t b = 0; b < B; ++b) {
      const int32_t slot = cache_rows[size_t(b)];
      if (slot < 0 || slot >= cache.batch)
        throw_error("model: cache slot {} of canvas {} is outside the cache's {} slots", slot, b,
                    cache.batch);
      slot_of[size_t(b)] = slot;
    }
  }

  // Row bookkeeping: each row's canvas and cache entry (slot * N + position), positions (M), the padding
  // mask (B, N) and the query rows' validity (M).
  acts.batch = B;
  acts.rows = std::move(rows);
  const QueryRows& q = acts.rows;
  std::vector<int64_t> canvas_of(static_cast<size_t>(M)), entry_of(static_cast<size_t>(M));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t r = q.first[size_t(b)]; r < q.first[size_t(b + 1)]; ++r) {
      canvas_of[size_t(r)] = b;
      entry_of[size_t(r)] = slot_of[size_t(b)] * N + q.positions[size_t(r)];
    }
  const std::vector<int32_t> all_pos = canvas_positions(batch);
  acts.pos.resize(size_t(M));
  for (int64_t r = 0; r < M; ++r)
    acts.pos[size_t(r)] = all_pos[size_t(canvas_of[size_t(r)] * N + q.positions[size_t(r)])];
  const bool padded = !batch.valid.empty();
  acts.valid.assign(size_t(B * N), 1);
  if (padded) std::memcpy(acts.valid.data(), batch.valid.data(), size_t(B * N));
  std::vector<uint8_t> q_valid(static_cast<size_t>(M));
  for (int64_t r = 0; r < M; ++r)
    q_valid[size_t(r)] = acts.valid[size_t(canvas_of[size_t(r)] * N + q.positions[size_t(r)])];

  // h (M, C): the residual stream, starting as the token embeddings (widened to fp32).
  std::vector<float>& h = acts.hidden;
  h.resize(size_t(M * C));
  global_pool().parallel_for(
      M,
      [&](int64_t r0, int64_t r1, int) {
        for (int64_t r = r0; r < r1; ++r) {
          const int64_t tok = batch.tokens[size_t(canvas_of[size_t(r)] * N + q.positions[size_t(r)])];
          embedding_row(w_.embed, tok, h.data() + r * C);
        }
      },
      16);

  acts.layers.resize(keep_activations ? size_t(c.num_hidden_layers) : 1);
  std::vector<float> proj(size_t(M * C));    // (M, C) o_proj / down_proj output before the residual add
  std::vector<float> krows(size_t(M * KD));  // (M, KD) the rows' keys, roped before they enter the cache
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const LayerWeights& lw = w_.layers[size_t(l)];
    LayerActivations& a = acts.layers[keep_activations ? size_t(l) : 0];
    float* kc = cache.k[size_t(l)].data();  // (B, N, KD)
    float* vc = cache.v[size_t(l)].data();  // (B, N, KD)
    a.x.resize(size_t(M * C));
    a.qkv.resize(size_t(M * QKV));
    a.q.resize(size_t(M * HD));
    a.att.resize(size_t(M * HD));
    a.x2.resize(size_t(M * C));
    a.gate.resize(size_t(M * F));
    a.up.resize(size_t(M * F));
    a.act.resize(size_t(M * F));
    if (keep_activations) a.h_in = h;

    // Attention block: x = RMSNorm(h); [q | k | v] = x Wqkv^T + b; RoPE on q and k; h += o_proj(attn).
    k::rmsnorm(a.x.data(), h.data(), lw.input_norm, M, C, eps);
    k::linear(a.qkv.data(), a.x.data(), lw.qkv, lw.qkv_bias.empty() ? nullptr : lw.qkv_bias.data(), M,
              precision_);
    // Split: q rows to a.q (M, HD), k rows to krows, v rows to the cache at their entry.
    global_pool().parallel_for(
        M,
        [&](int64_t r0, int64_t r1, int) {
          for (int64_t r = r0; r < r1; ++r) {
            const float* src = a.qkv.data() + r * QKV;
            std::memcpy(a.q.data() + r * HD, src, size_t(HD) * 4);
            std::memcpy(krows.data() + r * KD, src + HD, size_t(KD) * 4);
            std::memcpy(vc + entry_of[size_t(r)] * KD, src + HD + KD, size_t(KD) * 4);
          }
        },
        16);
    k::rope(a.q.data(), acts.pos.data(), M, H, D, c.rope_theta);
    k::rope(krows.data(), acts.pos.data(), M, Hkv, D, c.rope_theta);
    for (int64_t r = 0; r < M; ++r)
      std::memcpy(kc + entry_of[size_t(r)] * KD, krows.data() + r * KD, size_t(KD) * 4);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t r0 = q.first[size_t(b)], S = q.first[size_t(b + 1)] - r0;
      if (S == 0) continue;
      const int64_t slot = slot_of[size_t(b)];
      const uint8_t* kv_valid = padded ? acts.valid.data() + b * N : nullptr;
      k::attention(a.att.data() + r0 * HD, a.q.data() + r0 * HD, kc + slot * N * KD, vc + slot * N * KD, S, N,
                   H, Hkv, D, kv_valid, padded ? q_valid.data() + r0 : nullptr);
    }
    k::linear(proj.data(), a.att.data(), lw.o, nullptr, M, precision_);
    k::add_inplace(h.data(), proj.data(), M * C);
    if (keep_activations) a.h_mid = h;

    // MLP block: x2 = RMSNorm(h); h += down(silu(gate(x2)) * up(x2)).
    k::rmsnorm(a.x2.data(), h.data(), lw.post_norm, M, C, eps);
    k::linear(a.gate.data(), a.x2.data(), lw.gate, nullptr, M, precision_);
    k::linear(a.up.data(), a.x2.data(), lw.up, nullptr, M, precision_);
    k::swiglu(a.act.data(), a.gate.data(), a.up.data(), M * F);
    k::linear(proj.data(), a.act.data(), lw.down, nullptr, M, precision_);
    k::add_inplace(h.data(), proj.data(), M * C);
  }
}

void TransformerModel::head(const ForwardActivations& acts, std::span<const int64_t> rows, float* logits) {
  const int64_t C = config().hidden_size, R = int64_t(rows.size());
  const int64_t M = int64_t(acts.hidden.size()) / C;
  head_x_.resize(size_t(R * C));
  for (int64_t r = 0; r < R; ++r) {
    DC_ASSERT(rows[size_t(r)] >= 0 && rows[size_t(r)] < M, "head row outside the forward pass's slice");
    std::memcpy(head_x_.data() + r * C, acts.hidden.data() + rows[size_t(r)] * C, size_t(C) * 4);
  }
  // (R, C) -> model.norm -> (R, V) logits.
  k::rmsnorm(head_x_.data(), head_x_.data(), w_.final_norm, R, C, float(config().rms_norm_eps));
  k::linear(logits, head_x_.data(), w_.lm_head, nullptr, R, precision_);
}

void TransformerModel::raw_logits(const CanvasBatch& batch, std::span<const int64_t> raw_rows,
                                  float* logits) {
  for (int64_t r : raw_rows)
    if (r < 0 || r >= batch.batch * batch.length)
      throw_error("model: raw row {} is outside a batch of {} x {} rows", r, batch.batch, batch.length);
  forward(batch, 0, batch.length, cache_, acts_);
  head(acts_, raw_rows, logits);
}

std::vector<int64_t> TransformerModel::head_rows(const CanvasBatch& batch,
                                                 std::span<const PredictionRef> wanted, int64_t begin,
                                                 int64_t end) const {
  // Shifted logits (Dream, SPEC §1): position p is predicted by raw row p-1, so position 0 cannot be
  // requested. Unshifted (LLaDA): raw row p predicts position p. Rows index a pass over the query slice
  // [begin - shift, end) (clamped at 0) of every canvas.
  const int64_t shift = logit_shift(config().arch);
  const int64_t first = std::max<int64_t>(begin - shift, 0), S = end - first;
  std::vector<int64_t> rows(wanted.size());
  for (size_t r = 0; r < wanted.size(); ++r) {
    const PredictionRef& w = wanted[r];
    if (w.row < 0 || w.row >= batch.batch || w.position < std::max<int64_t>(shift, begin) ||
        w.position >= end)
      throw_error("model: cannot predict canvas {} position {} (batch of {} canvases, positions {}..{})",
                  w.row, w.position, batch.batch, std::max<int64_t>(shift, begin), end - 1);
    rows[r] = int64_t(w.row) * S + w.position - shift - first;
  }
  return rows;
}

void TransformerModel::predict(const CanvasBatch& batch, std::span<const PredictionRef> wanted,
                               float* logits) {
  const std::vector<int64_t> rows = head_rows(batch, wanted, 0, batch.length);
  if (rows.empty()) return check_batch(batch);  // nothing to predict: validate only
  forward(batch, 0, batch.length, cache_, acts_);
  head(acts_, rows, logits);
}

QueryRows TransformerModel::sparse_rows(const CanvasBatch& batch, std::span<const PredictionRef> wanted,
                                        std::span<const PredictionRef> stale) const {
  const int64_t B = batch.batch, N = batch.length, shift = logit_shift(config().arch);
  std::vector<std::vector<int32_t>> of(static_cast<size_t>(B));
  auto add = [&](const PredictionRef& p, int64_t row, const char* what) {
    if (p.row < 0 || p.row >= B || row < 0 || row >= N)
      throw_error("model: the {} position {} of canvas {} is outside a batch of {} x {}", what, p.position,
                  p.row, B, N);
    of[size_t(p.row)].push_back(int32_t(row));
  };
  for (const PredictionRef& w : wanted) add(w, w.position - shift, "wanted");
  for (const PredictionRef& p : stale) add(p, p.position, "stale");
  QueryRows q;
  q.first.resize(size_t(B + 1));
  for (int64_t b = 0; b < B; ++b) {
    std::vector<int32_t>& v = of[size_t(b)];
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    q.first[size_t(b)] = int64_t(q.positions.size());
    q.positions.insert(q.positions.end(), v.begin(), v.end());
  }
  q.first[size_t(B)] = int64_t(q.positions.size());
  return q;
}

std::vector<int64_t> TransformerModel::head_rows_in(const QueryRows& rows,
                                                    std::span<const PredictionRef> wanted) const {
  const int64_t shift = logit_shift(config().arch);
  std::vector<int64_t> out(wanted.size());
  for (size_t r = 0; r < wanted.size(); ++r) {
    const PredictionRef& w = wanted[r];
    const auto lo = rows.positions.begin() + rows.first[size_t(w.row)];
    const auto hi = rows.positions.begin() + rows.first[size_t(w.row) + 1];
    const auto it = std::lower_bound(lo, hi, int32_t(w.position - shift));
    DC_ASSERT(it != hi && *it == w.position - shift, "a wanted prediction's row is not in the pass");
    out[r] = int64_t(it - rows.positions.begin());
  }
  return out;
}

void TransformerModel::predict_cached(const CanvasBatch& batch, const CacheWindow& window,
                                      std::span<const PredictionRef> wanted, float* logits) {
  const int64_t B = batch.batch, N = batch.length;
  if (int64_t(window.cache_rows.size()) != B || window.cache_batch < B)
    throw_error("model: {} cache slots for a batch of {} canvases (cache of {})", window.cache_rows.size(), B,
                window.cache_batch);
  // A window or a partial refresh reads the keys/values a refresh stored for its canvases at this length.
  auto check_filled = [&] {
    for (int32_t slot : window.cache_rows)
      if (decode_cache_.length != N || slot < 0 || slot >= decode_cache_.batch ||
          !decode_cache_fresh_[size_t(slot)])
        throw_error("model: cache slot {} was not filled by a refresh for canvases of length {}", slot, N);
  };
  if (window.refresh) {
    if (window.refresh_from < 0 || window.refresh_from >= N)
      throw_error("model: a refresh from position {} in canvases of length {}", window.refresh_from, N);
    if (window.refresh_from > 0) {
      check_filled();
    } else if (decode_cache_.batch != window.cache_batch || decode_cache_.length != N) {
      decode_cache_.resize(config(), window.cache_batch, N);
      decode_cache_fresh_.assign(size_t(window.cache_batch), 0);
    }
    const std::vector<int64_t> rows = head_rows(batch, wanted, window.refresh_from, N);
    const int64_t first = std::max<int64_t>(window.refresh_from - logit_shift(config().arch), 0);
    forward(batch, first, N, decode_cache_, acts_, false, window.cache_rows);
    for (int32_t slot : window.cache_rows) decode_cache_fresh_[size_t(slot)] = 1;
    if (!rows.empty()) head(acts_, rows, logits);
    return;
  }
  if (window.begin < 0 || window.end > N || window.begin >= window.end)
    throw_error("model: cache window [{}, {}) is not inside a canvas of length {}", window.begin, window.end,
                N);
  check_filled();
  if (window.sparse) {
    // Validates the wanted positions against [begin, end) as a slice window would.
    (void)head_rows(batch, wanted, window.begin, window.end);
    QueryRows q = sparse_rows(batch, wanted, window.stale);
    if (q.rows() == 0) return check_batch(batch);
    const std::vector<int64_t> rows = head_rows_in(q, wanted);
    forward_rows(batch, std::move(q), decode_cache_, acts_, false, window.cache_rows);
    if (!rows.empty()) head(acts_, rows, logits);
    return;
  }
  const std::vector<int64_t> rows = head_rows(batch, wanted, window.begin, window.end);
  const int64_t first = std::max<int64_t>(window.begin - logit_shift(config().arch), 0);
  forward(batch, first, window.end, decode_cache_, acts_, false, window.cache_rows);
  if (!rows.empty()) head(acts_, rows, logits);
}

}  // namespace dc
