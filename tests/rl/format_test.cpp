// The format rule, on exact strings decided by hand: the shape (one ```python block that ends the text
// with "```\n") and the parse check in the sandbox.
#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

#include "rl/format.h"

namespace dc::rl {
namespace {

TEST(FormatShape, ExactStrings) {
  struct Case {
    std::string text;
    bool match;
    std::string code;
  };
  std::vector<Case> cases = {
      {"```python\ndef f():\n    return 1\n```\n", true, "def f():\n    return 1\n"},
      {"Here it is:\n```python\nx = 1\n```\n", true, "x = 1\n"},      // prose before the block is allowed
      {"```python\nx = 1\n```", false, ""},                           // no newline after the closing fence
      {"```python\nx = 1\n```\n\n", false, ""},                       // anything after "```\n"
      {"```python\nx = 1\n```\nDone.\n", false, ""},                  // prose after the block
      {"```python\nx = 1\n```\n```python\ny = 2\n```\n", false, ""},  // two blocks
      {"```py\nx = 1\n```\n", false, ""},                             // another language tag
      {"```\nx = 1\n```\n", false, ""},                               // no language tag
      {"```python x = 1\n```\n", false, ""},                          // tag not followed by a newline
      {"`` ```python\nx = 1\n```\n", true, "x = 1\n"},                // two backticks are not a fence
      {"````python\nx = 1\n```\n", false, ""},  // four backticks: the fence starts early
      {"```python\n```\n", true, ""},           // an empty block matches
      {"```python\ns = '``'\n```\n", true, "s = '``'\n"},
      {"```python\ns = '```'\n```\n", false, ""},  // a fence inside the code ends it
      {"", false, ""},
  };
  for (const auto& c : cases) {
    auto got = extract_formatted_code(c.text);
    EXPECT_EQ(got.has_value(), c.match) << c.text;
    if (got && c.match) {
      EXPECT_EQ(*got, c.code) << c.text;
    }
  }
}

TEST(FormatParse, PythonDecidesInTheSandbox) {
  sandbox::Pool pool(2);
  std::vector<std::string> codes = {
      "def f():\n    return 1\n",
      "def f(:\n",
      "\n\n   x = 1\n   \n",       // stripped before parsing, as the rule says
      "x = '\0'\n",                // a NUL byte does not parse
      "return 1\n",                // ast.parse accepts what compile() would reject later
      "",                          // nothing parses
      "import os\nos._exit(3)\n",  // parsed, never run
  };
  codes[3] = std::string("x = '") + '\0' + "'\n";
  codes.insert(codes.begin() + 1, std::string(1000000, '-') + "1\n");  // the parser gives up (MemoryError)
  std::vector<bool> got = parses_as_python(codes, pool);
  std::vector<bool> want = {true, false, false, true, false, true, true, true};
  EXPECT_EQ(got, want);
}

// The shape check agrees with Python's `re` running the rule as a regular expression, on random texts
// built from fence pieces (fullmatch of ^(?:(?!```)[\s\S])*?```python\n(?:(?!```)[\s\S])*?```\n$ with
// DOTALL, and the first "```python\n(.*?)```" group as the code).
TEST(FormatShape, AgreesWithThePythonRegex) {
  const char* kRegexHarness = R"PY(
import json, re
_P = re.compile(r"^(?:(?!```)[\s\S])*?```python\n(?:(?!```)[\s\S])*?```\n$", re.DOTALL)

def run_test(ns, text):
    if not _P.fullmatch(text):
        return json.dumps([False, ""])
    return json.dumps([True, re.findall(r"```python\n(.*?)```", text, re.DOTALL)[0]])
)PY";
  const std::vector<std::string> pieces = {"`",  "``", "```", "python",      "py",
                                           "\n", "x",  " ",   "```python\n", "```\n"};
  std::mt19937 rng(7);
  std::vector<std::string> texts;
  for (int i = 0; i < 3000; ++i) {
    // Random pieces around a well-formed block most of the time, so that both outcomes are common.
    auto random_text = [&](int max_pieces) {
      std::string t;
      for (int k = int(rng() % (max_pieces + 1)); k > 0; --k) t += pieces[rng() % pieces.size()];
      return t;
    };
    std::string t = random_text(3);
    if (rng() % 4 != 0) t += "```python\n";
    t += random_text(3);
    if (rng() % 4 != 0) t += "```\n";
    if (rng() % 2 == 0) t += random_text(2);
    texts.push_back(t);
  }
  sandbox::TestRunRequest req;
  req.harness = kRegexHarness;
  req.inputs = texts;
  req.stop_at_first_failure = false;
  sandbox::TestRunResult res = sandbox::run_tests(req);
  ASSERT_EQ(res.program_status, sandbox::Status::Ok) << res.program_error;
  int matches = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_EQ(res.tests[i].status, sandbox::Status::Ok) << res.tests[i].output;
    auto want = nlohmann::json::parse(res.tests[i].output);
    auto got = extract_formatted_code(texts[i]);
    ASSERT_EQ(got.has_value(), want[0].get<bool>()) << nlohmann::json(texts[i]).dump();
    if (got) {
      EXPECT_EQ(*got, want[1].get<std::string>()) << nlohmann::json(texts[i]).dump();
      ++matches;
    }
  }
  EXPECT_GT(matches, 300);  // the random texts exercise both outcomes
}

}  // namespace
}  // namespace dc::rl
