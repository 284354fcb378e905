// Run summaries, `generate --json` line parsing and the report files, against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "../common/error_of.h"
#include "analysis/order_file.h"
#include "analysis/report.h"
#include "analysis/summary.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "xml_check.h"

namespace dc::analysis {
namespace {

using dc::testing::error_of;

namespace fs = std::filesystem;

fs::path scratch_dir(const std::string& name) {
  const fs::path d = fs::path(DC_BINARY_DIR) / "analysis_test_tmp" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string write_text(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
  return p.string();
}

TEST(Summary, SpreadOfRaggedRows) {
  const Spread s = spread_of({{1, 2, 3}, {3, 4}});
  EXPECT_EQ(s.mean, (std::vector<double>{2, 3, 3}));
  EXPECT_NEAR(s.std[0], std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(s.std[1], std::sqrt(2.0), 1e-15);
  EXPECT_EQ(s.std[2], 0.0);
  EXPECT_EQ(s.count, (std::vector<int64_t>{2, 2, 1}));
  EXPECT_TRUE(spread_of({}).mean.empty());
}

Sample sample(int64_t prompt, std::vector<int64_t> positions, std::vector<double> conf = {}) {
  Sample s;
  s.order.prompt_length = prompt;
  s.order.generated_length = int64_t(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) s.order.commits.push_back({int64_t(i), positions[i]});
  s.first_step_confidence = std::move(conf);
  return s;
}

TEST(Summary, MeanOverSamplesOfPerSampleAverages) {
  // Left to right (all 1) and right to left over L = 4 (local 0, global@k = k/4).
  const RunSummary r =
      summarize("T=0.5", 0.5,
                {sample(4, {0, 1, 2, 3}, {-1, -2, -3, -4}), sample(4, {3, 2, 1, 0}, {-3, -2, -1, 0})}, 3, 2);
  EXPECT_EQ(r.samples, 2);
  EXPECT_EQ(r.local.mean, (std::vector<double>{0.5, 0.5, 0.5}));
  EXPECT_NEAR(r.local.std[0], std::sqrt(0.5), 1e-15);
  EXPECT_NEAR(r.global.mean[0], (1 + 0.25) / 2, 1e-15);
  EXPECT_NEAR(r.global.mean[1], (1 + 0.5) / 2, 1e-15);
  EXPECT_EQ(r.entropy_sink.mean, (std::vector<double>{-2, -2, -2, -2}));
  EXPECT_NEAR(r.random_global[0], expected_global_arness_random(4, 1), 1e-15);
  EXPECT_NEAR(r.random_local[2], expected_local_arness_random(4, 4, 3), 1e-15);
  EXPECT_EQ(r.first.order.commits.size(), 4u);

  const nlohmann::json j = summary_json(r);
  EXPECT_EQ(j["label"], "T=0.5");
  EXPECT_EQ(j["temperature"], 0.5);
  EXPECT_EQ(j["samples"], 2);
  EXPECT_EQ(j["local_arness"].size(), 3u);
  EXPECT_EQ(j["global_arness"].size(), 2u);
  EXPECT_EQ(j["global_arness"][0].get<double>(), 0.625);
  EXPECT_EQ(j["entropy_sink"].size(), 4u);
  EXPECT_TRUE(j.contains("local_arness_std") && j.contains("random_local_arness"));

  const std::string text = summary_text({r});
  EXPECT_NE(text.find("T=0.5: 2 samples"), std::string::npos) << text;
  EXPECT_NE(text.find("0.500+-0.707"), std::string::npos) << text;
}

TEST(Summary, NoSamplesStillIndexesByK) {
  const RunSummary r = summarize("none", std::nullopt, {}, 9, 4);
  EXPECT_EQ(r.local.mean.size(), 9u);
  EXPECT_EQ(r.global.mean.size(), 4u);
  EXPECT_FALSE(summary_json(r).contains("temperature"));
}

TEST(OrderFile, ParsesGenerateJsonLines) {
  const fs::path d = scratch_dir("parse");
  // Line 1: canvas with the prompt in front (P = 2, L = 3), order out of step order; stats carry T.
  // Line 2: canvas without the prompt; several commits in one step; first-step confidences.
  const std::string path = write_text(
      d / "gen.jsonl",
      "{\"prompt_tokens\": [5, 6], \"tokens\": [5, 6, 7, 8, 9], \"text\": \"x\", "
      "\"order\": [[2, 1, 8], [1, 0, 7], [3, 2, 9]], \"stats\": {\"temperature\": 0.2}}\n"
      "\n"
      "{\"prompt_tokens\": [5, 6], \"tokens\": [7, 8, 9], \"order\": [[1, 2, 9], [1, 0, 7], [2, 1, 8]], "
      "\"first_step_confidence\": [0.9, 0.5, 0.1], \"stats\": {\"temperature\": 0.2}}\n");
  const auto recs = read_generations(path);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].sample.order.prompt_length, 2);
  EXPECT_EQ(recs[0].sample.order.generated_length, 3);
  EXPECT_EQ(recs[1].sample.order.generated_length, 3);
  EXPECT_EQ(recs[1].sample.first_step_confidence, (std::vector<double>{0.9, 0.5, 0.1}));
  ASSERT_TRUE(recs[0].temperature.has_value());
  EXPECT_EQ(*recs[0].temperature, 0.2);

  const auto runs = summarize_generations(path, 2, 2);
  ASSERT_EQ(runs.size(), 1u);
  const RunSummary& r = runs[0];
  EXPECT_EQ(r.label, "T=0.2");
  // Sample 1 is left to right (1, 1 | 1, 1). Sample 2 flattens to 0, 2, 1: runs 2, 0, 0 and ranks 0, 1, 0:
  // local (1/3, 1/3), global (2/3, 1).
  EXPECT_NEAR(r.local.mean[0], (1 + 1.0 / 3) / 2, 1e-15);
  EXPECT_NEAR(r.local.mean[1], (1 + 1.0 / 3) / 2, 1e-15);
  EXPECT_NEAR(r.global.mean[0], (1 + 2.0 / 3) / 2, 1e-15);
  EXPECT_NEAR(r.global.mean[1], 1.0, 1e-15);
  // Only sample 2 has confidences.
  EXPECT_EQ(r.entropy_sink.mean, (std::vector<double>{0.9, 0.5, 0.1}));
}

TEST(OrderFile, OneRunPerTemperature) {
  const fs::path d = scratch_dir("label");
  const std::string path = write_text(
      d / "mixed.jsonl",
      "{\"prompt_tokens\": [1], \"order\": [[0, 0, 3]], \"stats\": {\"temperature\": 1.2}}\n"
      "{\"prompt_tokens\": [1], \"order\": [[0, 1, 3], [1, 0, 2]]}\n"
      "{\"prompt_tokens\": [1], \"order\": [[0, 1, 3], [1, 0, 2]], \"stats\": {\"temperature\": 0.2}}\n"
      "{\"prompt_tokens\": [1], \"order\": [[0, 0, 3], [1, 1, 2]], \"stats\": {\"temperature\": 1.2}}\n");
  const auto runs = summarize_generations(path);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].label, "T=1.2");
  EXPECT_EQ(runs[0].samples, 2);
  EXPECT_EQ(runs[0].local.mean[0], 1.0);  // both left to right after a one-token prompt
  EXPECT_EQ(runs[1].label, "mixed.jsonl (no temperature)");
  EXPECT_FALSE(runs[1].temperature.has_value());
  EXPECT_EQ(runs[2].label, "T=0.2");
  EXPECT_EQ(runs[2].local.mean[0], 0.0);  // 1 then 0
  EXPECT_EQ(runs[2].global.mean[0], 0.5);
  // A file without temperatures is one run named after the file.
  const std::string plain =
      write_text(d / "plain.jsonl", "{\"prompt_tokens\": [1], \"order\": [[0, 0, 3]]}\n");
  const auto one = summarize_generations(plain);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].label, "plain.jsonl");
}

TEST(OrderFile, BadLinesNameFileAndLine) {
  const fs::path d = scratch_dir("bad");
  auto err = [&](const std::string& text) {
    const std::string path = write_text(d / "x.jsonl", text);
    return error_of([&] { read_generations(path); });
  };
  const std::string p = (d / "x.jsonl").string();
  EXPECT_EQ(err("{\"prompt_tokens\": [1], \"order\": [[0, 0, 1]]}\nnot json\n"), p + ":2: not valid JSON");
  EXPECT_EQ(err("[1, 2]\n"), p + ":1: expected a JSON object per line");
  EXPECT_EQ(err("{\"order\": []}\n"), p + ":1: missing array 'prompt_tokens'");
  EXPECT_NE(err("{\"prompt_tokens\": []}\n").find(":1: missing array 'order'"), std::string::npos);
  EXPECT_NE(err("{\"prompt_tokens\": [], \"order\": [[0]]}\n").find("[step, position, token]"),
            std::string::npos);
  EXPECT_NE(err("{\"prompt_tokens\": [], \"order\": [[0, \"a\", 1]]}\n").find("must hold 64-bit integers"),
            std::string::npos);
  EXPECT_EQ(err("{\"prompt_tokens\": [], \"tokens\": [1, 2], \"order\": [[0, 5, 1]]}\n"),
            p + ":1: position 5 at step 0 is outside the 2 generated positions");
  EXPECT_EQ(err("{\"prompt_tokens\": [], \"order\": [[1, 0, 1], [1, 0, 1]]}\n"),
            p + ":1: position 0 is committed twice in step 1");
  EXPECT_EQ(err("\n\n"), p + ": no generations in the file (expected `generate --json` lines)");
  EXPECT_NE(err("{\"prompt_tokens\": [], \"order\": [[18446744073709551615, 0, 1]]}\n").find("64-bit"),
            std::string::npos);
  EXPECT_EQ(err("{\"prompt_length\": 2, \"order\": [[0, 99999999999, 1]]}\n"),
            p + ":1: generated length 100000000000 is too large (at most 16777216)");
  EXPECT_EQ(err("{\"prompt_length\": -2, \"order\": []}\n"), p + ":1: missing array 'prompt_tokens'");
  EXPECT_NE(error_of([&] { read_generations((d / "missing.jsonl").string()); }).find("missing.jsonl"),
            std::string::npos);
}

TEST(Report, WritesWellFormedPicturesAndPage) {
  const fs::path d = scratch_dir("report");
  std::vector<RunSummary> runs;
  runs.push_back(summarize("T=0.2", 0.2, {sample(3, {0, 1, 3, 2}, {0.9, 0.4, 0.3, 0.35})}));
  runs.push_back(summarize("T=1.2", 1.2, {sample(3, {3, 0, 2, 1}, {0.8, 0.3, 0.3, 0.4})}));
  const auto written = write_report((d / "out").string(), runs, "diffucoder analyze --order a<b>.jsonl");
  EXPECT_EQ(written.size(), 6u);
  for (const char* f : {"decoding_order.svg", "local_arness.svg", "global_arness.svg", "entropy_sink.svg"}) {
    const std::string svg = read_file((d / "out" / f).string());
    EXPECT_EQ(testing::check_xml(svg).error, "") << f;
  }
  const std::string local = read_file((d / "out" / "local_arness.svg").string());
  for (const char* s : {">T=0.2</text>", ">T=1.2</text>", ">random order</text>"}) {
    EXPECT_NE(local.find(s), std::string::npos) << s;
  }
  const std::string html = read_file((d / "out" / "index.html").string());
  for (const char* s : {"src=\"decoding_order.svg\"", "src=\"local_arness.svg\"", "src=\"global_arness.svg\"",
                        "src=\"entropy_sink.svg\"", "a&lt;b&gt;.jsonl", "<td>T=1.2</td>", "k@9"}) {
    EXPECT_NE(html.find(s), std::string::npos) << s;
  }
  const auto j = nlohmann::json::parse(read_file((d / "out" / "summary.json").string()));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["label"], "T=1.2");
  // Without confidences there is no entropy-sink picture and the page says so.
  const auto w2 = write_report((d / "out2").string(), {summarize("x", std::nullopt, {sample(0, {0})})}, "c");
  EXPECT_EQ(w2.size(), 5u);
  EXPECT_FALSE(fs::exists(d / "out2" / "entropy_sink.svg"));
  EXPECT_NE(read_file((d / "out2" / "index.html").string()).find("Not available"), std::string::npos);
}

TEST(Report, NoRunsStillGivesWellFormedFiles) {
  const fs::path d = scratch_dir("empty");
  const auto written = write_report((d / "out").string(), {}, "c");
  EXPECT_EQ(written.size(), 5u);
  for (const char* f : {"decoding_order.svg", "local_arness.svg", "global_arness.svg"}) {
    EXPECT_EQ(testing::check_xml(read_file((d / "out" / f).string())).error, "") << f;
  }
}

TEST(Report, UnwritableDirectoryIsAUserError) {
  const fs::path d = scratch_dir("unwritable");
  const std::string file = write_text(d / "plain", "x");
  EXPECT_NE(
      error_of([&] { write_report(file + "/sub", {}, "c"); }).find("cannot create the report directory"),
      std::string::npos);
}

}  // namespace
}  // namespace dc::analysis
