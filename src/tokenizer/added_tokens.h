// Added tokens (special tokens such as <|im_end|>, and user-added ones) are cut out of the text before
// normalisation and BPE, exactly as Hugging Face's AddedVocabulary does it:
//  * matching is leftmost-longest over the text, non-overlapping; after a match (used or discarded) the
//    search resumes at its end;
//  * single_word: the match is discarded unless the characters around it are not word characters (\w);
//  * lstrip / rstrip: the token also swallows the whitespace run on its left / right;
//  * tokens with normalized=false are matched in the raw text; tokens with normalized=true are matched,
//    in their normalised spelling, in the normalised pieces that remain.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dc::tok {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool special = false;
};

// A piece of text: either a matched added token (id >= 0) or plain text to pass on (id < 0).
struct Piece {
  int32_t id;
  uint32_t begin;
  uint32_t end;
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  // `patterns[i]` is the spelling to look for (the content, or its normalised form) of tokens[i].
  AddedTokenMatcher(std::vector<AddedToken> tokens, std::vector<std::string> patterns);

  bool empty() const { return tokens_.empty(); }

  // Splits `text` (valid UTF-8) into pieces covering it in order. Empty text gives no pieces.
  void split(std::string_view text, std::vector<Piece>& pieces) const;

 private:
  // Index into tokens_ of the longest pattern that occurs at text[pos], or -1.
  int longest_at(std::string_view text, size_t pos) const;

  std::vector<AddedToken> tokens_;
  std::vector<std::string> patterns_;
  std::vector<int> by_first_byte_[256];  // token indices, longest pattern first
};

}  // namespace dc::tok
