// The resume fingerprint of `eval --model`: what it records, where it lives, and when it refuses to mix
// samples of another model or setting.
#include "eval/run_fingerprint.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../model/checkpoint_test_util.h"
#include "core/error.h"
#include "core/mapped_file.h"

namespace dc::eval {
namespace {

using dc::testing::TempDir;
using dc::testing::write_text;

TEST(RunFingerprint, RecordsModelFilesAndSettings) {
  TempDir model;
  write_text(model.file("config.json"), "{}");
  write_text(model.file("b.safetensors"), "12345");
  write_text(model.file("notes.txt"), "not part of the model");
  GenerationParams p;
  p.steps = 7;
  p.seed = 3;
  const nlohmann::json f = generation_fingerprint(model.path(), p, true);
  ASSERT_EQ(f["files"].size(), 2u);  // *.safetensors and *.json only, sorted by name
  EXPECT_EQ(f["files"][0]["name"], "b.safetensors");
  EXPECT_EQ(f["files"][0]["bytes"], 5);
  EXPECT_EQ(f["files"][1]["name"], "config.json");
  EXPECT_EQ(f["model"], std::filesystem::absolute(model.path()).lexically_normal().string());
  EXPECT_EQ(f["chat"], true);
  EXPECT_EQ(f["alg"], "entropy");
  EXPECT_EQ(f["steps"], 7);
  EXPECT_EQ(f["seed"], 3);
}

TEST(RunFingerprint, MissingModelFolderIsOneLineError) {
  EXPECT_THROW(
      {
        try {
          generation_fingerprint("/nonexistent/model", GenerationParams{}, false);
        } catch (const Error& e) {
          EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
          EXPECT_NE(std::string(e.what()).find("/nonexistent/model: cannot list the model folder"),
                    std::string::npos);
          throw;
        }
      },
      Error);
}

TEST(RunFingerprint, PathBesideTheSamples) {
  EXPECT_EQ(fingerprint_path("out/humaneval.samples.jsonl"), "out/humaneval.generation.json");
  EXPECT_EQ(fingerprint_path("out/other.jsonl"), "out/other.jsonl.generation.json");
}

TEST(RunFingerprint, WritesThenAcceptsTheSameSetup) {
  TempDir dir;
  const std::string samples = dir.file("t.samples.jsonl");
  const nlohmann::json now = {{"model", "m"}, {"seed", 1}};
  check_generation_fingerprint(samples, now);  // no samples yet: records the fingerprint
  EXPECT_EQ(nlohmann::json::parse(read_file(dir.file("t.generation.json"))), now);
  write_text(samples, "{}\n");
  EXPECT_NO_THROW(check_generation_fingerprint(samples, now));
}

TEST(RunFingerprint, RefusesSamplesOfAnotherSetupNamingTheKeys) {
  TempDir dir;
  const std::string samples = dir.file("t.samples.jsonl");
  check_generation_fingerprint(samples, {{"model", "m"}, {"seed", 1}, {"steps", 4}});
  write_text(samples, "{}\n");
  try {
    check_generation_fingerprint(samples, {{"model", "m"}, {"seed", 2}, {"steps", 8}});
    FAIL() << "expected dc::Error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), samples + ": holds samples generated with another seed, steps (see " +
                                         dir.file("t.generation.json") +
                                         "); give another --out-dir or delete them");
  }
}

TEST(RunFingerprint, NewSettingsWithoutSamplesReplaceTheRecord) {
  TempDir dir;
  const std::string samples = dir.file("t.samples.jsonl");
  check_generation_fingerprint(samples, {{"seed", 1}});
  check_generation_fingerprint(samples, {{"seed", 2}});  // the samples file does not exist: no conflict
  EXPECT_EQ(nlohmann::json::parse(read_file(dir.file("t.generation.json")))["seed"], 2);
}

}  // namespace
}  // namespace dc::eval
