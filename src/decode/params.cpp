#include "decode/params.h"

#include <array>
#include <cmath>
#include <optional>
#include <utility>

#include "core/error.h"

namespace dc {
namespace {

constexpr std::array<std::pair<Alg, std::string_view>, 6> kAlgNames = {{
    {Alg::Origin, "origin"},
    {Alg::MaskgitPlus, "maskgit_plus"},
    {Alg::TopkMargin, "topk_margin"},
    {Alg::Entropy, "entropy"},
    {Alg::LowConfidence, "low_confidence"},
    {Alg::Random, "random"},
}};

constexpr std::array<std::pair<CacheMode, std::string_view>, 4> kCacheNames = {{
    {CacheMode::None, "none"},
    {CacheMode::Prefix, "prefix"},
    {CacheMode::Dual, "dual"},
    {CacheMode::Sparse, "sparse"},
}};

constexpr std::array<std::pair<kernels::Precision, std::string_view>, 2> kPrecisionNames = {{
    {kernels::Precision::Exact, "exact"},
    {kernels::Precision::Fast, "fast"},
}};

template <typename E, size_t K>
std::string_view name_in(const std::array<std::pair<E, std::string_view>, K>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  DC_ASSERT(false, "enum value without a name");
  return "";
}

template <typename E, size_t K>
std::optional<E> value_in(const std::array<std::pair<E, std::string_view>, K>& table, std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view alg_name(Alg alg) {
  return name_in(kAlgNames, alg);
}

Alg parse_alg(std::string_view name) {
  if (std::optional<Alg> a = value_in(kAlgNames, name)) return *a;
  throw_error(
      "unknown decoding algorithm '{}' (expected origin, maskgit_plus, topk_margin, entropy, low_confidence "
      "or random)",
      name);
}

std::string_view cache_name(CacheMode mode) {
  return name_in(kCacheNames, mode);
}

CacheMode parse_cache(std::string_view name) {
  if (std::optional<CacheMode> m = value_in(kCacheNames, name)) return *m;
  throw_error("unknown cache '{}' (expected none, prefix, dual or sparse)", name);
}

std::string_view precision_name(kernels::Precision precision) {
  return name_in(kPrecisionNames, precision);
}

kernels::Precision parse_precision(std::string_view name) {
  if (std::optional<kernels::Precision> p = value_in(kPrecisionNames, name)) return *p;
  throw_error("unknown precision '{}' (expected exact or fast)", name);
}

void validate(const GenerationParams& p) {
  if (p.max_new_tokens < 0) throw_error("max_new_tokens must be >= 0, got {}", p.max_new_tokens);
  // The time grid holds steps + 1 floats: a typo like 2e9 steps must not allocate gigabytes.
  constexpr int kMaxSteps = 1 << 20;
  if (p.steps < 1 || p.steps > kMaxSteps)
    throw_error("steps must lie in [1, {}], got {}", kMaxSteps, p.steps);
  if (!(p.temperature >= 0) || !std::isfinite(p.temperature))
    throw_error("temperature must be a finite number >= 0, got {}", p.temperature);
  if (!(p.top_p > 0) || std::isnan(p.top_p))
    throw_error("top_p must be > 0 (>= 1 disables it), got {}", p.top_p);
  if (p.top_k < 0) throw_error("top_k must be >= 0 (0 disables it), got {}", p.top_k);
  if (!(p.alg_temp >= 0) || !std::isfinite(p.alg_temp))
    throw_error("alg_temp must be a finite number >= 0, got {}", p.alg_temp);
  if (!(p.eps > 0 && p.eps < 1)) throw_error("eps must lie strictly between 0 and 1, got {}", p.eps);
  if (!(p.threshold >= 0 && p.threshold <= 1))
    throw_error("threshold must lie in (0, 1] (0 = off), got {}", p.threshold);
  if (!(p.factor >= 0) || !std::isfinite(p.factor))
    throw_error("factor must be a finite number > 0 (0 = off), got {}", p.factor);
  if (p.threshold > 0 && p.factor > 0) throw_error("threshold and factor are two rules: give one of them");
  if ((p.threshold > 0 || p.factor > 0) && p.alg == Alg::Origin)
    throw_error("threshold and factor need confidences, which the origin rule does not use");
  if ((p.threshold > 0 || p.factor > 0) && p.alg_temp > 0)
    throw_error("threshold and factor choose positions by confidence: they exclude alg_temp > 0");
  if (p.block_length < 0) throw_error("block_length must be >= 0 (0 = one block), got {}", p.block_length);
  if (p.cache != CacheMode::None && p.block_length == 0)
    throw_error("the {} cache works block by block: give a block length (--block-length, e.g. 32)",
                cache_name(p.cache));
  if (p.block_length > 0 && p.max_new_tokens > 0) {
    if (p.max_new_tokens % p.block_length != 0)
      throw_error("block_length {} does not divide max_new_tokens {}", p.block_length, p.max_new_tokens);
    const int blocks = p.max_new_tokens / p.block_length;
    if (p.steps % blocks != 0)
      throw_error("steps {} is not a multiple of the number of blocks {} (max_new_tokens / block_length)",
                  p.steps, blocks);
  }
}

}  // namespace dc
