// Benchmark prompt lines (values a JSON library rejects must be skipped, strings fully decoded) and the
// save format of `analyze --model --save-orders` read back by `analyze --order`.
#include <gtest/gtest.h>

#include <string>

#include "analysis/order_file.h"
#include "analysis/prompts.h"
#include "core/error.h"

namespace dc::analysis {
namespace {

TEST(Prompts, ReadsPromptAndTaskIdSkippingOtherValues) {
  const std::string text =
      "{\"task_id\": \"Mbpp/2\", \"prompt\": \"\\\"\\\"\\\"\\nWrite a f(x)\\u00e9 {a, "
      "b}\\n\\\"\\\"\\\"\\n\", "
      "\"base_input\": [[Infinity, -Infinity, NaN], [123456789012345678901234567890, {\"k\": \"}]\"}]], "
      "\"atol\": 0}\n"
      "\n"
      "  {\"prompt\": \"def f():\\n\\t\"}  \n";
  const auto tasks = parse_prompt_lines(text, "t.jsonl");
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].id, "Mbpp/2");
  EXPECT_EQ(tasks[0].prompt, "\"\"\"\nWrite a f(x)\xc3\xa9 {a, b}\n\"\"\"\n");
  EXPECT_EQ(tasks[1].id, "t.jsonl:3");
  EXPECT_EQ(tasks[1].prompt, "def f():\n\t");
}

TEST(Prompts, MalformedLinesNameTheLine) {
  auto err = [](const std::string& text) {
    try {
      parse_prompt_lines(text, "p.jsonl");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(err("{\"prompt\": \"a\"}\n[1]\n"), "p.jsonl:2: expected a JSON object per line");
  EXPECT_EQ(err("{\"task_id\": \"x\"}\n"), "p.jsonl:1: no string 'prompt' in the line");
  EXPECT_EQ(err("{\"prompt\": 3}\n"), "p.jsonl:1: 'prompt' must be a string");
  EXPECT_EQ(err("{\"prompt\": \"a\"\n"), "p.jsonl:1: malformed JSON object (expected ',' or '}')");
  EXPECT_EQ(err("{\"prompt: 1}\n"), "p.jsonl:1: unterminated string");
  EXPECT_EQ(err("{\"a\": [1, 2}\n"), "p.jsonl:1: malformed value of \"a\"");
  EXPECT_EQ(err("{\"a\\nb\": [1, 2}\n"), "p.jsonl:1: malformed value of \"a\\nb\"");  // still one line
  EXPECT_EQ(err("\n  \n"), "p.jsonl: no prompts in the file");
}

TEST(SaveFormat, RoundTripsThroughTheOrderParser) {
  Sample s;
  s.order.prompt_length = 7;
  s.order.generated_length = 5;  // position 4 never committed
  s.order.commits = {{1, 0}, {2, 2}, {3, 1}, {3, 3}};
  s.first_step_confidence = {-0.5, -1, -1.5, -2, -0.25};
  const nlohmann::json j = generation_json(s, 0.6);
  const GenerationRecord r = parse_generation(nlohmann::json::parse(j.dump()), "saved");
  EXPECT_EQ(parse_generation(j, "built").sample.order.prompt_length, 7);  // signed integers from the builder
  EXPECT_EQ(r.sample.order.prompt_length, 7);
  EXPECT_EQ(r.sample.order.generated_length, 5);
  ASSERT_EQ(r.sample.order.commits.size(), 4u);
  EXPECT_EQ(r.sample.order.commits[3].step, 3);
  EXPECT_EQ(r.sample.order.commits[3].position, 3);
  EXPECT_EQ(r.sample.first_step_confidence, s.first_step_confidence);
  ASSERT_TRUE(r.temperature.has_value());
  EXPECT_EQ(*r.temperature, 0.6);
  const Arness a = compute_arness(r.sample.order, 2, 2);
  const Arness b = compute_arness(s.order, 2, 2);
  EXPECT_EQ(a.local, b.local);
  EXPECT_EQ(a.global, b.global);
}

}  // namespace
}  // namespace dc::analysis
