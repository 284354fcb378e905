// How --data and --val are read (train/data_selection.h): a shard folder versus a JSON-lines SFT corpus
// versus text files, which validation set goes with each, and the one-line errors of a mismatch.
#include "train/data_selection.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "core/error.h"
#include "core/mapped_file.h"
#include "train/data.h"

namespace dc::train {
namespace {

namespace fs = std::filesystem;

const std::string kTiny = std::string(DC_TESTDATA_DIR) + "/tiny-dream";

const Tokenizer& tok() {
  static const Tokenizer t = Tokenizer::load(kTiny);
  return t;
}

const ModelConfig& cfg() {
  static const ModelConfig c = load_model_config(kTiny + "/config.json");
  return c;
}

struct TmpDir {
  fs::path path;
  explicit TmpDir(const std::string& name)
      : path(fs::temp_directory_path() /
             ("dc_data_selection_test_" + name + "_" + std::to_string(getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TmpDir() { fs::remove_all(path); }
  std::string file(const std::string& name, const std::string& text) const {
    write_file_atomic((path / name).string(), text);
    return (path / name).string();
  }
};

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string python_source(int i) {
  std::string t;
  for (int k = 0; k < 6; ++k)
    t += "def f" + std::to_string(i) + "_" + std::to_string(k) + "(x):\n    return x + " + std::to_string(k) +
         "\n";
  return t;
}

// A shard folder of 6 text files; val_fraction 0 leaves the manifest without a val split.
std::string text_shards(const TmpDir& dir, double val_fraction) {
  std::vector<std::string> files;
  for (int i = 0; i < 6; ++i) files.push_back(dir.file("f" + std::to_string(i) + ".py", python_source(i)));
  DataBuildOptions opt;
  opt.out_dir = (dir.path / "shards").string();
  opt.seq_len = 16;
  opt.val_fraction = val_fraction;
  build_text_shards(tok(), files, opt);
  return opt.out_dir;
}

TEST(DataSelection, RecognisesShardFolders) {
  TmpDir dir("kind");
  const std::string shards = text_shards(dir, 0.2);
  EXPECT_TRUE(is_shard_folder(shards));
  EXPECT_FALSE(is_shard_folder(dir.path.string()));
  EXPECT_FALSE(is_shard_folder(dir.file("x.txt", "text")));
}

TEST(DataSelection, TextFilesWithValFiles) {
  TmpDir dir("text");
  DataRequest req;
  req.data = {dir.file("a.py", python_source(1)), dir.file("b.py", python_source(2))};
  req.val = {dir.file("v.py", python_source(3))};
  req.seq_len = 8;
  const DataSelection s = select_training_data(req, tok(), kTiny, cfg());
  ASSERT_TRUE(s.train && s.val);
  EXPECT_EQ(s.seq_len, 8);
  EXPECT_EQ(s.train->seq_len(), 8);
  EXPECT_GT(s.train->size(), s.val->size());
  EXPECT_EQ(s.skipped, 0);
  req.val.clear();
  EXPECT_EQ(select_training_data(req, tok(), kTiny, cfg()).val, nullptr);
}

TEST(DataSelection, ShardFolderFixesSeqLenAndBringsItsValSplit) {
  TmpDir dir("shards");
  DataRequest req;
  req.data = {text_shards(dir, 0.2)};
  req.seq_len = 256;  // the shards' own length wins
  const DataSelection s = select_training_data(req, tok(), kTiny, cfg());
  EXPECT_EQ(s.seq_len, 16);
  EXPECT_EQ(s.train->seq_len(), 16);
  ASSERT_NE(s.val, nullptr);
  EXPECT_EQ(s.val->size(), ShardDataset(req.data[0], "val").size());
}

TEST(DataSelection, ShardFolderWithoutValSplitHasNoValidation) {
  TmpDir dir("noval");
  DataRequest req;
  req.data = {text_shards(dir, 0)};
  EXPECT_EQ(select_training_data(req, tok(), kTiny, cfg()).val, nullptr);
}

TEST(DataSelection, ShardsOfTheOtherKindAreRefused) {
  TmpDir dir("mismatch");
  DataRequest req;
  req.data = {text_shards(dir, 0)};
  req.sft = true;
  EXPECT_EQ(error_of([&] { select_training_data(req, tok(), kTiny, cfg()); }),
            req.data[0] + ": holds text shards, but this is `sft`");
}

TEST(DataSelection, ShardsBeyondTheVocabularyAreRefused) {
  TmpDir dir("vocab");
  DataRequest req;
  req.data = {text_shards(dir, 0)};
  ModelConfig small = cfg();
  small.vocab_size = 10;
  const std::string e = error_of([&] { select_training_data(req, tok(), kTiny, small); });
  EXPECT_EQ(e.rfind(req.data[0] + ": token ids go up to ", 0), 0u) << e;
  EXPECT_NE(e.find("but the model has only 10 rows"), std::string::npos) << e;
}

TEST(DataSelection, SftCorpusCountsSkippedSamples) {
  TmpDir dir("sft");
  DataRequest req;
  req.sft = true;
  req.seq_len = 96;
  req.data = {dir.file("s.jsonl",
                       "{\"prompt\": \"hi\", \"response\": \"ok\"}\n{\"prompt\": \"long\", \"response\": \"" +
                           std::string(400, 'x') + "\"}\n")};
  req.val = {dir.file("v.jsonl", "{\"prompt\": \"a\", \"response\": \"b\"}\n")};
  const DataSelection s = select_training_data(req, tok(), kTiny, cfg());
  EXPECT_EQ(s.skipped, 1);
  EXPECT_EQ(s.train->size(), 1);
  ASSERT_NE(s.val, nullptr);
  EXPECT_EQ(s.val->size(), 1);
  TokenSequence seq;
  s.train->get(0, seq);
  EXPECT_GT(seq.prompt_len, 0);  // the prompt is never masked
}

TEST(DataSelection, SftTakesExactlyOneFile) {
  TmpDir dir("sft2");
  DataRequest req;
  req.sft = true;
  req.data = {dir.file("a.jsonl", "{}\n"), dir.file("b.jsonl", "{}\n")};
  EXPECT_EQ(error_of([&] { select_training_data(req, tok(), kTiny, cfg()); }),
            "sft: give exactly one --data FILE.jsonl");
}

TEST(DataSelection, NoDataIsAnError) {
  EXPECT_EQ(error_of([&] { select_training_data(DataRequest{}, tok(), kTiny, cfg()); }),
            "no training data: give --data");
}

}  // namespace
}  // namespace dc::train
