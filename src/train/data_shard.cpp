// Shard files (format in train/data.h): writing one, and reading a split back as a TokenDataset.
#include <algorithm>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "train/data.h"

namespace dc::train {

namespace {

constexpr char kMagic[8] = {'D', 'C', 'S', 'H', 'A', 'R', 'D', '1'};
constexpr size_t kHeaderBytes = 64;

template <class T>
void put(std::string& s, size_t at, T v) {
  std::memcpy(s.data() + at, &v, sizeof v);  // little-endian hosts only (x86-64, aarch64)
}

template <class T>
T get_at(const uint8_t* p, size_t at) {
  T v;
  std::memcpy(&v, p + at, sizeof v);
  return v;
}

}  // namespace

void write_shard(const std::string& path, int64_t seq_len, int64_t vocab_size,
                 const std::vector<int32_t>& tokens, const std::vector<uint32_t>& prompt_lens, bool sft) {
  DC_ASSERT(seq_len > 0 && int64_t(tokens.size()) % seq_len == 0);
  const int64_t n = int64_t(tokens.size()) / seq_len;
  DC_ASSERT(!sft || int64_t(prompt_lens.size()) == n);
  const uint32_t tb = vocab_size <= 65536 ? 2 : 4;
  std::string s(kHeaderBytes + (sft ? size_t(n) * 4 : 0) + tokens.size() * tb, '\0');
  std::memcpy(s.data(), kMagic, 8);
  put<uint32_t>(s, 8, 1);
  put<uint32_t>(s, 12, sft ? 1 : 0);
  put<uint32_t>(s, 16, tb);
  put<int64_t>(s, 24, seq_len);
  put<int64_t>(s, 32, n);
  put<int64_t>(s, 40, vocab_size);
  size_t at = kHeaderBytes;
  if (sft) {
    for (uint32_t p : prompt_lens) put<uint32_t>(s, at, p), at += 4;
  }
  for (int32_t id : tokens) {
    DC_ASSERT(id >= 0 && id < vocab_size);
    if (tb == 2) {
      put<uint16_t>(s, at, uint16_t(id));
    } else {
      put<uint32_t>(s, at, uint32_t(id));
    }
    at += tb;
  }
  write_file_atomic(path, s);
}

struct ShardDataset::Shard {
  MappedFile file;
  int64_t n = 0;
  uint32_t token_bytes = 2;
  size_t tokens_at = 0;
};

ShardDataset::ShardDataset(const std::string& dir, const std::string& split) {
  const std::string manifest_path = (std::filesystem::path(dir) / "dataset.json").string();
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(read_file(manifest_path));
  } catch (const nlohmann::json::exception& e) {
    throw_error("{}: not valid JSON: {}", manifest_path, e.what());
  }
  try {
    if (m.at("format") != "diffucoder-shards") throw_error("{}: not a shard manifest", manifest_path);
    sft_ = m.at("kind") == "sft";
    seq_len_ = m.at("seq_len").get<int64_t>();
    vocab_size_ = m.at("vocab_size").get<int64_t>();
    if (!m.at("splits").contains(split)) throw_error("{}: no split '{}'", manifest_path, split);
    for (const auto& name : m["splits"][split].at("shards")) {
      const std::string path = (std::filesystem::path(dir) / name.get<std::string>()).string();
      auto sh = std::make_unique<Shard>();
      sh->file = MappedFile(path);
      const uint8_t* p = sh->file.data();
      const size_t size = sh->file.size();
      if (size < kHeaderBytes || std::memcmp(p, kMagic, 8) != 0) throw_error("{}: not a shard file", path);
      if (get_at<uint32_t>(p, 8) != 1)
        throw_error("{}: unsupported shard version {}", path, get_at<uint32_t>(p, 8));
      const bool sft = get_at<uint32_t>(p, 12) == 1;
      sh->token_bytes = get_at<uint32_t>(p, 16);
      const int64_t sl = get_at<int64_t>(p, 24), n = get_at<int64_t>(p, 32), vs = get_at<int64_t>(p, 40);
      if (sft != sft_ || sl != seq_len_ || vs != vocab_size_ ||
          (sh->token_bytes != 2 && sh->token_bytes != 4) || n < 0 || n > int64_t(size)) {
        throw_error("{}: header disagrees with {}", path, manifest_path);
      }
      sh->n = n;
      sh->tokens_at = kHeaderBytes + (sft ? size_t(n) * 4 : 0);
      if (size != sh->tokens_at + size_t(n) * size_t(sl) * sh->token_bytes) {
        throw_error("{}: size {} does not match {} sequences of {} tokens", path, size, n, sl);
      }
      for (int64_t i = 0; sft && i < n; ++i) {
        if (get_at<uint32_t>(p, kHeaderBytes + size_t(i) * 4) > uint64_t(sl)) {
          throw_error("{}: sequence {} has a prompt longer than {} tokens", path, i, sl);
        }
      }
      for (size_t i = 0; i < size_t(n) * size_t(sl); ++i) {
        const uint32_t id = sh->token_bytes == 2 ? get_at<uint16_t>(p, sh->tokens_at + 2 * i)
                                                 : get_at<uint32_t>(p, sh->tokens_at + 4 * i);
        if (int64_t(id) >= vocab_size_)
          throw_error("{}: token id {} is outside the vocabulary ({})", path, id, vocab_size_);
      }
      starts_.push_back(total_);
      total_ += n;
      shards_.push_back(std::move(sh));
    }
  } catch (const nlohmann::json::exception& e) {
    throw_error("{}: bad manifest: {}", manifest_path, e.what());
  }
  if (total_ == 0) throw_error("{}: split '{}' has no sequences", manifest_path, split);
}

ShardDataset::~ShardDataset() = default;

void ShardDataset::get(int64_t index, TokenSequence& out) const {
  DC_ASSERT(index >= 0 && index < total_);
  const size_t s = size_t(std::upper_bound(starts_.begin(), starts_.end(), index) - starts_.begin() - 1);
  const Shard& sh = *shards_[s];
  const size_t i = size_t(index - starts_[s]);
  const uint8_t* p = sh.file.data();
  out.prompt_len = sft_ ? int64_t(get_at<uint32_t>(p, kHeaderBytes + i * 4)) : 0;
  out.tokens.resize(size_t(seq_len_));
  const size_t base = sh.tokens_at + i * size_t(seq_len_) * sh.token_bytes;
  for (size_t k = 0; k < size_t(seq_len_); ++k) {
    out.tokens[k] = sh.token_bytes == 2 ? int32_t(get_at<uint16_t>(p, base + 2 * k))
                                        : int32_t(get_at<uint32_t>(p, base + 4 * k));
  }
}

}  // namespace dc::train
