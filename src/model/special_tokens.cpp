// Resolving the special token ids (see special_tokens.h).
#include "model/special_tokens.h"

#include "core/error.h"

namespace dc {

namespace {

int32_t by_spelling(const Tokenizer& tok, std::string_view text) {
  auto id = tok.token_id(text);
  return id ? *id : -1;
}

int32_t first_of(int32_t from_config, const std::optional<int32_t>& role, int32_t fallback = -1) {
  if (from_config >= 0) return from_config;
  if (role) return *role;
  return fallback;
}

}  // namespace

SpecialTokens resolve_special_tokens(const ModelConfig& cfg, const Tokenizer& tok,
                                     const std::string& source) {
  const SpecialTokenIds& roles = tok.special_ids();
  const ArchTraits& arch = arch_traits(cfg.arch);
  SpecialTokens s;
  int32_t mask_fallback = by_spelling(tok, arch.mask_spelling);
  if (mask_fallback < 0 && arch.default_mask_id >= 0 && arch.default_mask_id < cfg.vocab_size)
    mask_fallback = arch.default_mask_id;
  s.mask = first_of(cfg.mask_token_id, roles.mask, mask_fallback);
  if (s.mask < 0)
    throw_error(
        "{}: no mask token: config.json has no mask_token_id and the tokenizer has no mask token "
        "({}); a masked diffusion model needs one",
        source, arch.mask_spelling);
  s.end_of_text = by_spelling(tok, "<|endoftext|>");
  s.pad = first_of(cfg.pad_token_id, roles.pad, s.end_of_text);
  s.bos = first_of(cfg.bos_token_id, roles.bos);
  s.eos = first_of(cfg.eos_token_id, roles.eos);
  if (s.end_of_text < 0) s.end_of_text = s.eos;
  s.dlm_pad = by_spelling(tok, "<|dlm_pad|>");
  s.end_of_turn = by_spelling(tok, arch.end_of_turn);
  for (auto [name, id] :
       {std::pair<const char*, int32_t>{"mask", s.mask}, {"pad", s.pad}, {"bos", s.bos}, {"eos", s.eos}}) {
    if (id >= cfg.vocab_size)
      throw_error("{}: the {} token id {} is outside the model's {} rows", source, name, id, cfg.vocab_size);
  }
  return s;
}

void apply_special_tokens(const SpecialTokens& s, ModelConfig& cfg) {
  cfg.mask_token_id = s.mask;
  cfg.pad_token_id = s.pad;
  cfg.bos_token_id = s.bos;
  cfg.eos_token_id = s.eos;
}

}  // namespace dc
