// dc::Tokenizer: assembles the loaded files into the encode/decode pipeline (see tokenizer.h).
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "core/error.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/loader.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/utf8.h"

namespace dc {

using tok::AddedToken;
using tok::Piece;

struct Tokenizer::Impl {
  std::string source;
  bool nfc = true;
  tok::SplitRegex split;
  std::unique_ptr<tok::Bpe> bpe;
  tok::AddedTokenMatcher raw_matcher;         // added tokens with normalized=false, on raw text
  tok::AddedTokenMatcher normalized_matcher;  // normalized=true, on normalised text
  std::vector<std::string> spelling;          // (V) by id; empty when the id names no token
  std::vector<std::string> bytes;             // (V) what each id decodes to
  std::vector<uint8_t> present, special;      // (V) flags
  std::unordered_map<std::string, int32_t> added_ids, vocab_ids;
  SpecialTokenIds roles;

  Impl(const std::string& path, tok::TokenizerSpec spec);
  void encode_plain(std::string_view text, std::vector<int32_t>& ids) const;
};

Tokenizer::Impl::Impl(const std::string& path, tok::TokenizerSpec spec)
    : source(path), nfc(spec.nfc), split(spec.pattern, spec.vocab_source) {
  constexpr int32_t kMaxId = (1 << 24) - 1;  // as the file readers enforce
  constexpr int64_t kIdMargin = 1024;
  int32_t max_id = -1;
  for (const auto& [s, id] : spec.vocab) {
    if (id < 0 || id > kMaxId)
      throw_error("{}: token '{}' has id {} outside [0, {}]", spec.vocab_source, s, id, kMaxId);
    max_id = std::max(max_id, id);
  }
  const int32_t max_vocab_id = max_id;
  for (const AddedToken& a : spec.added) {
    if (a.id < 0 || a.id > kMaxId || a.content.empty()) {
      throw_error("{}: added token '{}' (id {}) is empty or out of range", spec.added_source, a.content,
                  a.id);
    }
    max_id = std::max(max_id, a.id);
  }
  // Tables are indexed by id (about 70 bytes per id), so a file naming one token 2^24 - 1 would cost a
  // gigabyte. Real vocabularies are dense (gaps, if any, are small); ids may run up to twice the number of
  // entries plus a margin, which bounds the tables by the size of the file that lists the entries.
  const int64_t entries = int64_t(spec.vocab.size() + spec.added.size());
  const int64_t id_cap = 2 * entries + kIdMargin;
  if (max_id >= id_cap)
    throw_error("{}: token id {} is far beyond the {} tokens listed (ids must stay below {})",
                max_id == max_vocab_id ? spec.vocab_source : spec.added_source, max_id, entries, id_cap);
  spelling.resize(size_t(max_id) + 1);
  bytes.resize(spelling.size());
  present.assign(spelling.size(), 0);
  special.assign(spelling.size(), 0);

  for (const auto& [s, id] : spec.vocab) {
    if (present[id]) throw_error("{}: id {} is given to two vocabulary tokens", spec.vocab_source, id);
    spelling[id] = s;
    present[id] = 1;
  }
  // Added tokens take precedence over the model vocabulary for both directions, as in Hugging Face.
  for (const AddedToken& a : spec.added) {
    spelling[a.id] = a.content;
    present[a.id] = 1;
    special[a.id] = a.special ? 1 : 0;
    added_ids[a.content] = a.id;
  }
  for (size_t id = 0; id < spelling.size(); ++id) {
    if (present[id]) bytes[id] = tok::spelling_to_bytes(spelling[id]);
  }
  vocab_ids = std::move(spec.vocab);

  // BPE: single-byte tokens and merges, by id.
  std::array<int32_t, 256> byte_ids;
  for (int b = 0; b < 256; ++b) {
    auto it = vocab_ids.find(tok::bytes_to_spelling(std::string(1, char(b))));
    byte_ids[b] = it == vocab_ids.end() ? -1 : it->second;
  }
  std::vector<tok::BpeMerge> merges;
  merges.reserve(spec.merges.size());
  for (size_t r = 0; r < spec.merges.size(); ++r) {
    const auto& [a, b] = spec.merges[r];
    auto ia = vocab_ids.find(a), ib = vocab_ids.find(b), ic = vocab_ids.find(a + b);
    if (ia == vocab_ids.end() || ib == vocab_ids.end()) {
      throw_error("{}: merge #{} '{} {}' uses a token that is not in the vocabulary", spec.merges_source, r,
                  a, b);
    }
    if (ic == vocab_ids.end()) {
      throw_error("{}: merge #{} '{} {}' makes '{}{}', which is not in the vocabulary", spec.merges_source, r,
                  a, b, a, b);
    }
    merges.push_back({ia->second, ib->second, ic->second});
  }
  bpe = std::make_unique<tok::Bpe>(byte_ids, merges);

  // Added-token matchers.
  std::vector<AddedToken> raw, normalized;
  std::vector<std::string> raw_pat, norm_pat;
  for (const AddedToken& a : spec.added) {
    if (a.normalized) {
      normalized.push_back(a);
      std::string p = a.content;
      if (!tok::utf8_is_valid(p))
        throw_error("{}: added token '{}' is not valid UTF-8", spec.added_source, p);
      norm_pat.push_back(nfc ? tok::nfc(p) : p);
    } else {
      raw.push_back(a);
      raw_pat.push_back(a.content);
    }
  }
  raw_matcher = tok::AddedTokenMatcher(std::move(raw), std::move(raw_pat));
  normalized_matcher = tok::AddedTokenMatcher(std::move(normalized), std::move(norm_pat));

  // Role tokens.
  auto role = [&](const std::optional<std::string>& name, const char* what) -> std::optional<int32_t> {
    if (!name) return std::nullopt;
    auto it = added_ids.find(*name);
    if (it != added_ids.end()) return it->second;
    auto jt = vocab_ids.find(*name);
    if (jt != vocab_ids.end()) return jt->second;
    throw_error("{}: {} '{}' is not a token of the vocabulary", spec.special_source, what, *name);
  };
  roles.bos = role(spec.bos, "bos_token");
  roles.eos = role(spec.eos, "eos_token");
  roles.pad = role(spec.pad, "pad_token");
  roles.mask = role(spec.mask, "mask_token");
  roles.unk = role(spec.unk, "unk_token");
}

// Text without raw-matched added tokens: normalise, cut out normalized added tokens, split, BPE.
void Tokenizer::Impl::encode_plain(std::string_view text, std::vector<int32_t>& ids) const {
  const std::string norm = nfc ? tok::nfc(text) : std::string(text);
  std::vector<Piece> pieces;
  if (normalized_matcher.empty()) {
    if (!norm.empty()) pieces.push_back({-1, 0, uint32_t(norm.size())});
  } else {
    normalized_matcher.split(norm, pieces);
  }
  for (const Piece& p : pieces) {
    if (p.id >= 0) {
      ids.push_back(p.id);
      continue;
    }
    const std::string_view piece(norm.data() + p.begin, p.end - p.begin);
    split.for_each_word(piece,
                        [&](uint32_t b, uint32_t e) { bpe->encode_cached(piece.substr(b, e - b), ids); });
  }
}

Tokenizer Tokenizer::load(const std::string& path) {
  return from_spec(tok::load_tokenizer_spec(path), path);
}

Tokenizer Tokenizer::from_spec(tok::TokenizerSpec spec, const std::string& source) {
  for (std::string* s : {&spec.vocab_source, &spec.merges_source, &spec.added_source, &spec.special_source}) {
    if (s->empty()) *s = source;
  }
  if (spec.vocab.empty()) throw_error("{}: the vocabulary is empty", source);
  if (spec.pattern.empty()) throw_error("{}: no pre-tokenizer pattern", source);
  Tokenizer t;
  t.impl_ = std::make_shared<const Impl>(source, std::move(spec));
  return t;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
  if (text.size() > kMaxEncodeBytes)
    throw_error("{}: a text of {} bytes is longer than the {} MiB one encode call takes; split it",
                impl_->source, text.size(), kMaxEncodeBytes >> 20);
  std::string repaired;
  if (!tok::utf8_is_valid(text)) {
    repaired = tok::utf8_lossy(text);
    text = repaired;
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (impl_->raw_matcher.empty()) {
    impl_->encode_plain(text, ids);
    return ids;
  }
  std::vector<Piece> pieces;
  impl_->raw_matcher.split(text, pieces);
  for (const Piece& p : pieces) {
    if (p.id >= 0) {
      ids.push_back(p.id);
    } else {
      impl_->encode_plain(text.substr(p.begin, p.end - p.begin), ids);
    }
  }
  return ids;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string out = decode_bytes(ids, skip_special);
  return tok::utf8_is_valid(out) ? out : tok::utf8_lossy(out);
}

std::string Tokenizer::decode_bytes(std::span<const int32_t> ids, bool skip_special) const {
  std::string out;
  for (int32_t id : ids) {
    if (id < 0 || size_t(id) >= impl_->present.size() || !impl_->present[id]) continue;
    if (skip_special && impl_->special[id]) continue;
    out += impl_->bytes[id];
  }
  return out;
}

std::optional<int32_t> Tokenizer::token_id(std::string_view token) const {
  const std::string key(token);
  auto it = impl_->added_ids.find(key);
  if (it != impl_->added_ids.end()) return it->second;
  auto jt = impl_->vocab_ids.find(key);
  if (jt != impl_->vocab_ids.end()) return jt->second;
  return std::nullopt;
}

std::string Tokenizer::token_text(int32_t id) const {
  if (id < 0 || size_t(id) >= impl_->present.size() || !impl_->present[id]) {
    throw_error("{}: token id {} is not in the vocabulary", impl_->source, id);
  }
  return impl_->bytes[id];
}

std::string Tokenizer::token_spelling(int32_t id) const {
  if (id < 0 || size_t(id) >= impl_->present.size() || !impl_->present[id]) {
    throw_error("{}: token id {} is not in the vocabulary", impl_->source, id);
  }
  return impl_->spelling[id];
}

int64_t Tokenizer::vocab_size() const {
  return int64_t(impl_->present.size());
}

bool Tokenizer::is_special(int32_t id) const {
  return id >= 0 && size_t(id) < impl_->special.size() && impl_->special[id];
}

const SpecialTokenIds& Tokenizer::special_ids() const {
  return impl_->roles;
}

const std::string& Tokenizer::source() const {
  return impl_->source;
}

}  // namespace dc
