// dc::Tokenizer: Qwen2-style byte-level BPE, bit-exact with Hugging Face `tokenizers` (SPEC §2).
//
// encode(text): replace invalid UTF-8 with U+FFFD; cut out added tokens (<|im_end|>, <|mask|>, ...) from the
// raw text; NFC-normalise the rest; split it into words with the pre-tokenizer regex; BPE each word by merge
// rank. No BOS/EOS is added. decode(ids): concatenate the tokens' bytes (the byte-level alphabet undone) and
// replace invalid UTF-8 with U+FFFD; ids that name no token are skipped, as Hugging Face does.
//
// Loads tokenizer.json (HF fast format) or DiffuCoder's slow layout (vocab.json + merges.txt +
// added_tokens.json + special_tokens_map.json + tokenizer_config.json); see tokenizer/loader.h. The role
// tokens (bos/eos/pad/mask) come from those configuration files, never from constants.
// A loaded Tokenizer is immutable and cheap to copy (shared state); all methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dc {

namespace tok {
struct TokenizerSpec;  // tokenizer/loader.h
}

// Ids of the role tokens named by tokenizer_config.json / special_tokens_map.json (nullopt: not named).
struct SpecialTokenIds {
  std::optional<int32_t> bos, eos, pad, mask, unk;
};

class Tokenizer {
 public:
  // `path`: a model folder or tokenizer folder (tokenizer.json, or vocab.json + merges.txt), or a
  // tokenizer.json file. Throws dc::Error naming the offending file.
  static Tokenizer load(const std::string& path);
  // Builds a tokenizer from an in-memory description (e.g. the vocabulary stored in a GGUF file);
  // `source` names it in error messages. Throws dc::Error on an inconsistent description.
  static Tokenizer from_spec(tok::TokenizerSpec spec, const std::string& source);

  // Throws dc::Error for a text longer than kMaxEncodeBytes (word offsets are 32-bit, and the working copies
  // of one call take up to about 20 bytes per input byte for random bytes, the worst case).
  std::vector<int32_t> encode(std::string_view text) const;
  static constexpr size_t kMaxEncodeBytes = size_t(256) << 20;
  // skip_special: leave out added tokens marked special (Hugging Face's skip_special_tokens).
  std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;
  // The concatenated bytes of the tokens, before any UTF-8 repair (decode() is these bytes with each
  // ill-formed subpart replaced by U+FFFD): a prefix of the ids gives a prefix of the bytes.
  std::string decode_bytes(std::span<const int32_t> ids, bool skip_special = false) const;

  // Id of a token given in the vocabulary's spelling (byte-level alphabet: "Ġthe", "<|mask|>"), or nullopt.
  std::optional<int32_t> token_id(std::string_view token) const;
  // The bytes one token decodes to (may be a fragment of a UTF-8 character). Throws dc::Error for an id
  // that names no token.
  std::string token_text(int32_t id) const;
  // The vocabulary's spelling of a token ("Ġthe"). Throws dc::Error for an id that names no token.
  std::string token_spelling(int32_t id) const;
  // One past the largest token id (BPE vocabulary and added tokens).
  int64_t vocab_size() const;
  // True for added tokens marked special (e.g. <|endoftext|>, <|im_end|>, <|mask|>).
  bool is_special(int32_t id) const;
  const SpecialTokenIds& special_ids() const;
  // The file or folder this tokenizer was loaded from.
  const std::string& source() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace dc
