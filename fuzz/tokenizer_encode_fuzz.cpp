// libFuzzer target: Tokenizer::encode / decode on arbitrary bytes with the tiny test model's tokenizer.
// Every input must encode to ids that name tokens, decode to valid UTF-8, and, when it is ASCII text that
// cannot hold an added token (no '<'), decode back to itself.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

// The repository root, from this file's path as the compiler saw it ("<root>/fuzz/..." or "fuzz/...").
std::string repo_root() {
  const std::string f = __FILE__;
  const size_t at = f.rfind("fuzz/");
  return at == 0 ? std::string(".") : f.substr(0, at - 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const dc::Tokenizer tok = dc::Tokenizer::load(repo_root() + "/tests/testdata/tiny-dream");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto ids = tok.encode(text);
  for (int32_t id : ids) {
    if (id < 0 || id >= tok.vocab_size()) std::abort();
    tok.token_text(id);  // throws (escapes: a finding) when the id names no token
  }
  const std::string back = tok.decode(ids);
  if (!dc::tok::utf8_is_valid(back)) std::abort();
  bool plain = true;
  for (char c : text) plain = plain && uint8_t(c) < 0x80 && c != '<';
  if (plain && back != text) std::abort();
  return 0;
}
