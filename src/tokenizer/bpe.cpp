// Byte-pair encoding by merge rank (see bpe.h).
#include "tokenizer/bpe.h"

#include <algorithm>

namespace dc::tok {

Bpe::Bpe(const std::array<int32_t, 256>& byte_ids, const std::vector<BpeMerge>& merges)
    : byte_ids_(byte_ids) {
  rules_.reserve(merges.size() * 2);
  for (size_t r = 0; r < merges.size(); ++r) {
    rules_[key(merges[r].left, merges[r].right)] = Rule{int32_t(r), merges[r].result};
  }
}

namespace {

// One symbol of the word being merged: a doubly linked list over positions; len == 0 marks a symbol that
// was absorbed by its left neighbour.
struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  int32_t len;
};

// A candidate merge of symbols[pos] with its right neighbour. The queue pops the lowest rank first and, for
// equal ranks, the leftmost position.
struct Candidate {
  int32_t rank;
  int32_t pos;
  int32_t result;
  bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

}  // namespace

void Bpe::encode(std::string_view word, std::vector<int32_t>& out) const {
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Candidate> queue;  // a binary heap (std::push_heap / std::pop_heap)
  symbols.clear();
  for (char ch : word) {
    const int32_t id = byte_ids_[uint8_t(ch)];
    if (id < 0) continue;
    const auto n = int32_t(symbols.size());
    symbols.push_back({id, n - 1, n + 1, 1});
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;
  if (symbols.size() == 1) {
    out.push_back(symbols[0].id);
    return;
  }

  queue.clear();
  auto push = [](Candidate c) {
    queue.push_back(c);
    std::push_heap(queue.begin(), queue.end());
  };
  for (int32_t i = 0; i + 1 < int32_t(symbols.size()); ++i) {
    if (const Rule* r = find(symbols[i].id, symbols[i + 1].id)) push({r->rank, i, r->result});
  }
  while (!queue.empty()) {
    std::pop_heap(queue.begin(), queue.end());
    const Candidate top = queue.back();
    queue.pop_back();
    Symbol& left = symbols[top.pos];
    // Stale candidates: the left symbol was absorbed, or its right neighbour changed since the push.
    if (left.len == 0 || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    const Rule* now = find(left.id, right.id);
    if (now == nullptr || now->result != top.result) continue;

    left.id = top.result;
    left.len += right.len;
    left.next = right.next;
    right.len = 0;
    if (left.next >= 0) symbols[left.next].prev = top.pos;

    if (left.prev >= 0) {
      if (const Rule* r = find(symbols[left.prev].id, left.id)) push({r->rank, left.prev, r->result});
    }
    if (left.next >= 0) {
      if (const Rule* r = find(left.id, symbols[left.next].id)) push({r->rank, top.pos, r->result});
    }
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

void Bpe::encode_cached(std::string_view word, std::vector<int32_t>& out) const {
  if (word.size() > kMaxCachedWord) {
    encode(word, out);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(word);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t start = out.size();
  encode(word, out);
  std::vector<int32_t> ids(out.begin() + std::ptrdiff_t(start), out.end());
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (cache_.size() >= kMaxCacheEntries) cache_.clear();
  cache_.emplace(std::string(word), std::move(ids));
}

std::vector<int32_t> Bpe::encode_reference(std::string_view word) const {
  std::vector<int32_t> ids;
  for (char ch : word) {
    if (byte_ids_[uint8_t(ch)] >= 0) ids.push_back(byte_ids_[uint8_t(ch)]);
  }
  for (;;) {
    int32_t best_rank = -1, best_left = 0, best_right = 0, best_result = 0;
    for (size_t i = 0; i + 1 < ids.size(); ++i) {
      const Rule* r = find(ids[i], ids[i + 1]);
      if (r != nullptr && (best_rank < 0 || r->rank < best_rank)) {
        best_rank = r->rank, best_left = ids[i], best_right = ids[i + 1], best_result = r->result;
      }
    }
    if (best_rank < 0) break;
    std::vector<int32_t> next;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i + 1 < ids.size() && ids[i] == best_left && ids[i + 1] == best_right) {
        next.push_back(best_result);
        ++i;
      } else {
        next.push_back(ids[i]);
      }
    }
    ids = std::move(next);
  }
  return ids;
}

}  // namespace dc::tok
