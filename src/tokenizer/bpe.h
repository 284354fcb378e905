// Byte-pair encoding of one pre-tokenized word (a byte string) by merge rank, exactly as Hugging Face's
// BPE model does it with dropout off: start from one symbol per byte, then repeatedly apply the merge of
// lowest rank, leftmost first, until no adjacent pair has a merge. Knows nothing about files or text
// normalisation; the caller splits text into words.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dc::tok {

struct BpeMerge {
  int32_t left;    // token id of the left part
  int32_t right;   // token id of the right part
  int32_t result;  // token id of left+right
};

class Bpe {
 public:
  Bpe() = default;
  // byte_ids[b]: id of the token that is the single byte b, or -1 when the vocabulary lacks it (such bytes
  // are dropped, as Hugging Face does without an unknown token). merges[r] has rank r; a pair listed twice
  // keeps its later rank, as in Hugging Face.
  Bpe(const std::array<int32_t, 256>& byte_ids, const std::vector<BpeMerge>& merges);

  // Appends the ids of `word` (raw bytes) to out. Fast path: a heap of candidate merges, O(n log n).
  void encode(std::string_view word, std::vector<int32_t>& out) const;

  // Same result through a word cache (words up to kMaxCachedWord bytes); thread-safe.
  void encode_cached(std::string_view word, std::vector<int32_t>& out) const;

  // Scalar oracle for tests: the textbook loop (find the lowest-rank adjacent pair, merge every occurrence
  // left to right, repeat), O(n^2) per word.
  std::vector<int32_t> encode_reference(std::string_view word) const;

  static constexpr size_t kMaxCachedWord = 128;
  static constexpr size_t kMaxCacheEntries = 1 << 16;

 private:
  struct Rule {
    int32_t rank;
    int32_t result;
  };
  static uint64_t key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }
  const Rule* find(int32_t a, int32_t b) const {
    auto it = rules_.find(key(a, b));
    return it == rules_.end() ? nullptr : &it->second;
  }

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::array<int32_t, 256> byte_ids_{};
  std::unordered_map<uint64_t, Rule> rules_;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> cache_;
};

}  // namespace dc::tok
