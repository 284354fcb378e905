// Malformed input never crashes or hangs the parsers: thousands of deterministic byte mutations of a
// benchmark line (dataset parser: parses or throws dc::Error), and hostile candidate output text (a
// candidate can replace the harness's json module, so the judge must accept any bytes).
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "core/rng.h"
#include "eval/json_raw.h"
#include "eval/judge.h"
#include "eval/typed_value.h"

namespace dc::eval {
namespace {

const char* kLine =
    R"({"task_id": "Mbpp/2", "prompt": "\"\"\"\nWrite\n\"\"\"\n", "entry_point": "f", "canonical_solution": "def f(a):\n  return a\n", )"
    R"("base_input": [[[3, 4.5e3, -Infinity]], [["x\u00e9]"]]], "atol": 0, "plus_input": {}, "contract": null})";

TEST(Robustness, MutatedDatasetLinesParseOrThrow) {
  Rng rng(7);
  const std::string alphabet = "{}[]\",:\\ 0123456789-eE.aInfinityNtrulsx";
  int parsed = 0, rejected = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    std::string s = kLine;
    int edits = 1 + int(rng.next_u64() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng.next_u64() % s.size();
      switch (rng.next_u64() % 3) {
        case 0:
          s[pos] = alphabet[rng.next_u64() % alphabet.size()];
          break;
        case 1:
          s.erase(pos, 1 + rng.next_u64() % 8);
          break;
        default:
          s.insert(pos, 1, alphabet[rng.next_u64() % alphabet.size()]);
          break;
      }
    }
    try {
      for (const auto& [k, v] : json_raw::object_members(s, "line")) {
        if (!v.empty() && v[0] == '[') {
          for (auto item : json_raw::array_items(v, "line")) {
            size_t p = 0;
            json_raw::value_at(item, p, "line");
          }
        } else if (!v.empty() && v[0] == '"') {
          json_raw::decode_string(v, "line");
        }
      }
      ++parsed;
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(parsed, 0);
  EXPECT_GT(rejected, 0);
}

TEST(Robustness, HostileCandidateOutputIsJustWrong) {
  Task t;
  t.task_id = "T/0";
  t.entry_point = "f";
  ExpectedOutput exp;
  exp.ok = true;
  exp.out = R"(["l","i1",["t","s2"]])";
  exp.aux = "null";
  std::vector<std::string> hostile = {
      std::string(1000000, '['),
      std::string(200000, '[') + "\"i1\"" + std::string(200000, ']'),
      "[\"l\"," + std::string(100000, '[') + "\"l\"" + std::string(100000, ']') + "]",
      std::string("\xff\xfe\x00", 3),
      R"(["l","i1",["t","s2"]] trailing)",
      R"(["l","i1e5",["t","s2"]])",
      R"(["d","i1"])",
      R"(["U",-1])",
      R"(["c","1"])",
      "\"i" + std::string(100000, '9') + "\""};
  Rng rng(11);
  std::string good = exp.out;
  for (int i = 0; i < 2000; ++i) {
    std::string s = good;
    size_t pos = rng.next_u64() % s.size();
    s[pos] = "[]\",ilstfdhoSFU0x-"[rng.next_u64() % 18];
    hostile.push_back(s);
  }
  for (const auto& h : hostile) {
    JudgeState st(t);
    bool pass = judge_output(t, exp, h, st);
    // Only a text that still encodes the expected value may pass.
    if (pass) {
      EXPECT_TRUE(strict_equal(parse_typed(h), parse_typed(exp.out))) << h.substr(0, 80);
    }
  }
}

}  // namespace
}  // namespace dc::eval
