// Training shards (train/data.h) with the committed trained tokenizer (tests/testdata/tokenizer/bpe): the
// byte layout of a shard by hand, text shards against sequences cut here from the files' own encodings
// (same multiset, whole files per split, no file in both), SFT sequences against the chat template built
// here, determinism, and one-line errors for bad inputs and damaged shards.
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "../common/error_of.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "train/data.h"

namespace dc::train {
namespace {

using dc::testing::error_of;

namespace fs = std::filesystem;

const Tokenizer& tok() {
  static const Tokenizer t = Tokenizer::load(std::string(DC_TESTDATA_DIR) + "/tokenizer/bpe");
  return t;
}

struct TmpDir {
  fs::path path;
  explicit TmpDir(const std::string& name)
      : path(fs::temp_directory_path() / ("dc_data_test_" + name + "_" + std::to_string(getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TmpDir() { fs::remove_all(path); }
  std::string file(const std::string& name, const std::string& text) const {
    write_file_atomic((path / name).string(), text);
    return (path / name).string();
  }
};

std::vector<std::vector<int32_t>> all_seqs(const TokenDataset& d) {
  std::vector<std::vector<int32_t>> out;
  TokenSequence s;
  for (int64_t i = 0; i < d.size(); ++i) {
    d.get(i, s);
    EXPECT_EQ(int64_t(s.tokens.size()), d.seq_len());
    out.push_back(s.tokens);
  }
  return out;
}

TEST(Data, ShardBytesByHand) {
  TmpDir dir("bytes");
  const std::string p = (dir.path / "a.bin").string();
  write_shard(p, 3, 100, {1, 2, 3, 4, 5, 99}, {}, false);
  const std::string b = read_file(p);
  ASSERT_EQ(b.size(), 64u + 6 * 2);
  EXPECT_EQ(b.substr(0, 8), "DCSHARD1");
  const auto u32 = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, b.data() + at, 4);
    return v;
  };
  const auto i64 = [&](size_t at) {
    int64_t v;
    std::memcpy(&v, b.data() + at, 8);
    return v;
  };
  EXPECT_EQ(u32(8), 1u);   // version
  EXPECT_EQ(u32(12), 0u);  // text
  EXPECT_EQ(u32(16), 2u);  // u16 ids
  EXPECT_EQ(i64(24), 3);
  EXPECT_EQ(i64(32), 2);
  EXPECT_EQ(i64(40), 100);
  EXPECT_EQ(uint8_t(b[64 + 10]), 99);
  EXPECT_EQ(uint8_t(b[64 + 11]), 0);

  const std::string q = (dir.path / "b.bin").string();
  write_shard(q, 2, 70000, {69999, 7}, {1}, true);
  const std::string c = read_file(q);
  ASSERT_EQ(c.size(), 64u + 4 + 2 * 4);
  uint32_t v;
  std::memcpy(&v, c.data() + 16, 4);
  EXPECT_EQ(v, 4u);  // u32 ids above 65536 tokens
  std::memcpy(&v, c.data() + 64, 4);
  EXPECT_EQ(v, 1u);  // prompt length
  std::memcpy(&v, c.data() + 68, 4);
  EXPECT_EQ(v, 69999u);
}

TEST(Data, TextShardsHoldWholeFilesPerSplit) {
  TmpDir dir("text");
  std::vector<std::string> files, texts;
  for (int i = 0; i < 10; ++i) {
    std::string t;
    for (int k = 0; k <= i % 4; ++k)
      t += "def marker" + std::to_string(i) + "_" + std::to_string(k) + "(x):\n    return x * " +
           std::to_string(k + i) + "\n";
    texts.push_back(t);
    files.push_back(dir.file("f" + std::to_string(i) + ".py", t));
  }
  DataBuildOptions opt;
  opt.out_dir = (dir.path / "out").string();
  opt.seq_len = 8;
  opt.val_fraction = 0.2;
  opt.seqs_per_shard = 5;
  opt.seed = 3;
  const DataBuildStats st = build_text_shards(tok(), files, opt);
  EXPECT_EQ(st.train.sources, 8);
  EXPECT_EQ(st.val.sources, 2);
  EXPECT_GT(st.train.shards.size(), 1u);

  const ShardDataset train(opt.out_dir, "train"), val(opt.out_dir, "val");
  EXPECT_FALSE(train.is_sft());
  EXPECT_EQ(train.size(), st.train.sequences);
  const int32_t eot = *tok().token_id("<|endoftext|>");
  // Which files went where: the manifest lists them; the sequences must be exactly those files' tokens.
  std::set<std::string> train_files(st.train.files.begin(), st.train.files.end());
  for (const auto& f : st.val.files) EXPECT_EQ(train_files.count(f), 0u) << f << " is in both splits";
  EXPECT_EQ(train_files.size() + st.val.files.size(), files.size());
  const std::string manifest = read_file(opt.out_dir + "/dataset.json");
  for (const auto& f : st.val.files) EXPECT_NE(manifest.find(f), std::string::npos);
  for (const bool want_val : {false, true}) {
    std::vector<int32_t> stream;
    for (const auto& f : want_val ? st.val.files : st.train.files) {
      const size_t i = size_t(std::find(files.begin(), files.end(), f) - files.begin());
      ASSERT_LT(i, files.size());
      auto ids = tok().encode(texts[i]);
      stream.insert(stream.end(), ids.begin(), ids.end());
      stream.push_back(eot);
    }
    std::vector<std::vector<int32_t>> expect;
    for (size_t at = 0; at + 8 <= stream.size(); at += 8)
      expect.emplace_back(stream.begin() + ptrdiff_t(at), stream.begin() + ptrdiff_t(at + 8));
    auto got = all_seqs(want_val ? static_cast<const TokenDataset&>(val) : train);
    EXPECT_NE(got, expect) << "sequences are shuffled";  // 8 or more sequences: a kept order is unlikely
    std::sort(got.begin(), got.end());
    std::sort(expect.begin(), expect.end());
    EXPECT_EQ(got, expect);
  }

  // Same seed: same bytes; another seed: another order.
  DataBuildOptions again = opt;
  again.out_dir = (dir.path / "again").string();
  build_text_shards(tok(), files, again);
  EXPECT_EQ(read_file(opt.out_dir + "/train-00000.bin"), read_file(again.out_dir + "/train-00000.bin"));
  again.out_dir = (dir.path / "other").string();
  again.seed = 4;
  build_text_shards(tok(), files, again);
  EXPECT_NE(all_seqs(ShardDataset(again.out_dir, "train")), all_seqs(train));
}

TEST(Data, SftSequencesFollowTheChatTemplate) {
  TmpDir dir("sft");
  std::string lines;
  std::vector<std::pair<std::string, std::string>> ex;
  for (int i = 0; i < 12; ++i) {
    ex.emplace_back("Write f" + std::to_string(i) + ".",
                    "def f" + std::to_string(i) + "():\n    return " + std::to_string(i));
    lines += "{\"prompt\": \"" + ex.back().first + "\", \"response\": \"def f" + std::to_string(i) +
             "():\\n    return " + std::to_string(i) + "\"}\n";
  }
  lines += "\n{\"prompt\": \"long\", \"response\": \"" + std::string(3000, 'z') + " y\"}\n";
  const std::string path = dir.file("sft.jsonl", lines);
  DataBuildOptions opt;
  opt.out_dir = (dir.path / "out").string();
  opt.seq_len = 96;
  opt.val_fraction = 0.25;
  const DataBuildStats st = build_sft_shards(tok(), {path}, opt);
  EXPECT_EQ(st.skipped, 1);
  EXPECT_EQ(st.train.sources + st.val.sources, 13);
  EXPECT_EQ(st.train.sequences + st.val.sequences, 12);

  const int32_t im_end = *tok().token_id("<|im_end|>"), pad = *tok().token_id("<|dlm_pad|>");
  std::set<int> seen;
  for (const char* split : {"train", "val"}) {
    const ShardDataset d(opt.out_dir, split);
    EXPECT_TRUE(d.is_sft());
    TokenSequence s;
    for (int64_t k = 0; k < d.size(); ++k) {
      d.get(k, s);
      // Find the example by its prompt.
      bool found = false;
      for (int i = 0; i < 12 && !found; ++i) {
        std::vector<int32_t> want = tok().encode(instruct_prompt(ex[size_t(i)].first));
        if (int64_t(want.size()) != s.prompt_len || !std::equal(want.begin(), want.end(), s.tokens.begin()))
          continue;
        found = true;
        EXPECT_TRUE(seen.insert(i).second) << "example " << i << " twice";
        const auto r = tok().encode(ex[size_t(i)].second);
        want.insert(want.end(), r.begin(), r.end());
        want.push_back(im_end);  // the turn end "<|im_end|>\n", then the fill
        for (int32_t id : tok().encode("\n")) want.push_back(id);
        want.resize(96, pad);
        EXPECT_EQ(s.tokens, want);
      }
      EXPECT_TRUE(found) << split << " sequence " << k;
    }
  }
  EXPECT_EQ(seen.size(), 12u);
}

TEST(Data, ErrorsNameTheFileAndLine) {
  TmpDir dir("errors");
  DataBuildOptions opt;
  opt.out_dir = (dir.path / "out").string();
  opt.seq_len = 8;
  const std::string bad =
      dir.file("bad.jsonl", "{\"prompt\": \"a\", \"response\": \"b\"}\n{\"prompt\": \"a\"\n");
  EXPECT_NE(error_of([&] { build_sft_shards(tok(), {bad}, opt); }).find(bad + ":2:"), std::string::npos);
  const std::string missing = dir.file("missing.jsonl", "{\"prompt\": \"a\"}\n");
  EXPECT_NE(error_of([&] {
              build_sft_shards(tok(), {missing}, opt);
            }).find(missing + ":1: missing string \"response\""),
            std::string::npos);
  const std::string tiny = dir.file("tiny.py", "x");
  EXPECT_NE(error_of([&] { build_text_shards(tok(), {tiny}, opt); }).find("fewer than 8 tokens"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { build_text_shards(tok(), {(dir.path / "nope.py").string()}, opt); }).find("nope.py"),
      std::string::npos);

  // Damaged shards.
  const std::string text = dir.file("t.py", std::string(400, 'a') + " b c d e f g h i j k l m n o p");
  opt.val_fraction = 0;
  build_text_shards(tok(), {text}, opt);
  const std::string shard = opt.out_dir + "/train-00000.bin";
  std::string bytes = read_file(shard);
  EXPECT_EQ(error_of([&] { ShardDataset(opt.out_dir, "val"); }).find("no split 'val'") != std::string::npos,
            true);
  write_file_atomic(shard, bytes.substr(0, bytes.size() - 2));
  EXPECT_NE(error_of([&] { ShardDataset(opt.out_dir, "train"); }).find(shard + ": size"), std::string::npos);
  bytes[64] = char(0xff);
  bytes[65] = char(0xff);
  write_file_atomic(shard, bytes);
  EXPECT_NE(error_of([&] { ShardDataset(opt.out_dir, "train"); }).find("outside the vocabulary"),
            std::string::npos);
  write_file_atomic(opt.out_dir + "/dataset.json", "{");
  EXPECT_NE(error_of([&] { ShardDataset(opt.out_dir, "train"); }).find("dataset.json: not valid JSON"),
            std::string::npos);
}

}  // namespace
}  // namespace dc::train
