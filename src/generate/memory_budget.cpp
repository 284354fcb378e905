#include "generate/memory_budget.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "core/error.h"

namespace dc {
namespace {

constexpr uint64_t kUnknown = std::numeric_limits<uint64_t>::max();

// a * b saturating at UINT64_MAX (the inputs are user-given counts; the estimate must never wrap).
uint64_t mul(uint64_t a, uint64_t b) {
  if (a != 0 && b > kUnknown / a) return kUnknown;
  return a * b;
}
uint64_t add(uint64_t a, uint64_t b) {
  return a > kUnknown - b ? kUnknown : a + b;
}

// A field of a /proc file in kB ("MemAvailable:  123 kB"), in bytes; kUnknown when absent.
uint64_t proc_kb(const char* path, const std::string& key) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    uint64_t kb = 0;
    if (fields >> kb) return mul(kb, 1024);
  }
  return kUnknown;
}

std::string human(uint64_t bytes) {
  if (bytes < (uint64_t(1) << 30)) return fmt::format("{:.0f} MiB", double(bytes) / double(1 << 20));
  return fmt::format("{:.1f} GiB", double(bytes) / double(uint64_t(1) << 30));
}

}  // namespace

uint64_t decode_memory_bytes(const ModelConfig& c, int64_t batch, int64_t prompt_tokens, int64_t new_tokens,
                             const GenerationParams& params, int threads) {
  const uint64_t B = uint64_t(std::max<int64_t>(batch, 0));
  const uint64_t N =
      uint64_t(std::max<int64_t>(prompt_tokens, 0)) + uint64_t(std::max<int64_t>(new_tokens, 0));
  const uint64_t L = uint64_t(std::max<int64_t>(new_tokens, 0));
  const uint64_t M = mul(B, N);  // rows of a full pass
  const uint64_t C = uint64_t(c.hidden_size), D = uint64_t(c.head_dim), H = uint64_t(c.num_attention_heads),
                 Hkv = uint64_t(c.num_key_value_heads), F = uint64_t(c.intermediate_size),
                 V = uint64_t(c.vocab_size), layers = uint64_t(c.num_hidden_layers);
  // transformer_model.h: KvCache k and v of every layer, (B, N, Hkv*D) each; a second one (the decoding
  // cache) with --cache.
  const uint64_t caches = params.cache == CacheMode::None ? 1 : 2;
  const uint64_t kv = mul(mul(caches * 2 * layers * Hkv * D, M), 4);
  // ForwardActivations of one layer: h_in, x, h_mid, x2, hidden (C each), qkv, q, att, gate, up, act.
  const uint64_t acts = mul(mul(5 * C + (H + 2 * Hkv) * D + 2 * H * D + 3 * F, M), 4);
  // The sampler's (R, V) logits: at the first step every generated slot may be wanted.
  const uint64_t logits = mul(mul(mul(B, L), V), 4);
  // ChoiceScratch per worker (order, probs, raw: 4 bytes x V each; bucket_ids: 2 bytes x V) and the canvas
  // (tokens + valid flags).
  const uint64_t scratch = add(mul(mul(uint64_t(std::max(threads, 1)), 7 * V), 2), mul(M, 5));
  const uint64_t history = params.keep_history ? mul(mul(uint64_t(std::max(params.steps, 1)), M), 4) : 0;
  return add(add(add(kv, acts), add(logits, scratch)), history);
}

uint64_t available_memory_bytes() {
  uint64_t avail = proc_kb("/proc/meminfo", "MemAvailable");
  rlimit rl{};
  if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    const uint64_t used = proc_kb("/proc/self/status", "VmSize");
    const uint64_t cap = uint64_t(rl.rlim_cur);
    const uint64_t room = used == kUnknown ? cap : (cap > used ? cap - used : 0);
    avail = std::min(avail, room);
  }
  return avail;
}

void check_generation_fits(const ModelConfig& cfg, int64_t batch, int64_t prompt_tokens, int64_t new_tokens,
                           const GenerationParams& params, int threads, uint64_t available) {
  const int64_t positions = prompt_tokens + new_tokens;
  if (positions > cfg.max_position_embeddings)
    throw_error(
        "generation: the prompt ({} tokens) + {} new tokens need {} positions, more than the model's "
        "max_position_embeddings {} (lower --max-new-tokens)",
        prompt_tokens, new_tokens, positions, cfg.max_position_embeddings);
  const uint64_t need = decode_memory_bytes(cfg, batch, prompt_tokens, new_tokens, params, threads);
  if (available != kUnknown && need > available)
    throw_error(
        "generation: {} canvas{} of {} positions need about {} of working memory, but only {} is available "
        "(lower --max-new-tokens or --batch-size)",
        batch, batch == 1 ? "" : "es", positions, human(need), human(available));
}

void check_generation_fits(const ModelConfig& cfg, int64_t batch, int64_t prompt_tokens, int64_t new_tokens,
                           const GenerationParams& params, int threads) {
  check_generation_fits(cfg, batch, prompt_tokens, new_tokens, params, threads, available_memory_bytes());
}

}  // namespace dc
