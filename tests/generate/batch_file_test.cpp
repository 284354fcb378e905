// The `generate --batch-file` format (generate/batch_file.h): fields and defaults, blank lines, and one
// "FILE:LINE: ..." error line for each kind of malformed line.
#include "generate/batch_file.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace dc {
namespace {

std::string error_of(std::string_view text) {
  try {
    parse_batch_file(text, "p.jsonl", TextRequest{});
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    return e.what();
  }
  return "(no error)";
}

TEST(BatchFile, FieldsOverrideTheDefaults) {
  TextRequest defaults;
  defaults.chat = true;
  defaults.system = "Be brief.";
  const std::vector<TextRequest> r =
      parse_batch_file("{\"prompt\": \"a\"}\n\n  \n{\"prompt\": \"b\", \"chat\": false, \"system\": \"S\"}\n",
                       "p.jsonl", defaults);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].prompt, "a");
  EXPECT_TRUE(r[0].chat);
  EXPECT_EQ(r[0].system, "Be brief.");
  EXPECT_EQ(r[1].prompt, "b");
  EXPECT_FALSE(r[1].chat);
  EXPECT_EQ(r[1].system, "S");
}

TEST(BatchFile, NoFinalNewlineAndEscapedNewlinesInPrompts) {
  const auto r = parse_batch_file(R"({"prompt": "def f():\n    pass"})", "p.jsonl", TextRequest{});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].prompt, "def f():\n    pass");
}

TEST(BatchFile, MalformedLinesNameFileAndLine) {
  EXPECT_EQ(error_of("{\"prompt\": \"a\"}\n{\"prompt\": \n"), "p.jsonl:2: not a JSON object");
  EXPECT_EQ(error_of("\n[1, 2]\n"), "p.jsonl:2: not a JSON object");
  EXPECT_EQ(error_of("{\"text\": \"a\"}"), "p.jsonl:1: missing string field \"prompt\"");
  EXPECT_EQ(error_of("{\"prompt\": 3}"), "p.jsonl:1: missing string field \"prompt\"");
  EXPECT_EQ(error_of("{\"prompt\": \"a\", \"chat\": \"yes\"}"), "p.jsonl:1: \"chat\" must be true or false");
  EXPECT_EQ(error_of("{\"prompt\": \"a\"}\n\n{\"prompt\": \"a\", \"system\": 1}"),
            "p.jsonl:3: \"system\" must be a string");
}

TEST(BatchFile, EmptyFileIsAnError) {
  EXPECT_EQ(error_of(""), "p.jsonl: no prompts in the batch file");
  EXPECT_EQ(error_of("\n \n\t\n"), "p.jsonl: no prompts in the batch file");
}

TEST(BatchFile, UnreadableFileIsNamed) {
  try {
    read_batch_file("/nonexistent/batch.jsonl", TextRequest{});
    FAIL() << "expected dc::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/batch.jsonl"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dc
