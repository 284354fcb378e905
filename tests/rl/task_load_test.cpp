// Loading RL tasks from both file formats, and the one-line errors for bad input: a malformed line names
// file:line, an unconvertible test names file, line, task and test.
#include <gtest/gtest.h>

#include "core/error.h"
#include "rl_fixture.h"

namespace dc::rl {
namespace {

using testing::block;
using testing::temp_file;

std::string load_error(const std::string& path) {
  try {
    load_rl_tasks(path, testing::load_options());
  } catch (const Error& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(TaskLoad, GenericFormatGivenOutputsCanonicalSolutionsAndAsserts) {
  std::vector<RlTask> t =
      load_rl_tasks(std::string(DC_TESTDATA_DIR) + "/eval/generic.jsonl", testing::load_options());
  ASSERT_EQ(t.size(), 3u);
  // demo/add: outputs given, base + plus tests become four cases.
  EXPECT_EQ(t[0].id, "demo/add");
  EXPECT_EQ(t[0].task.kind, eval::TestKind::Io);
  EXPECT_EQ(t[0].cases(), 4u);
  EXPECT_EQ(t[0].expected[3].out, R"("i100000000000000000001")");
  EXPECT_EQ(t[0].labels[0], "add(1, 2)");
  // demo/rev: outputs computed from the canonical solution.
  EXPECT_EQ(t[1].cases(), 3u);
  EXPECT_EQ(t[1].expected[0].out, R"("scba")");
  // demo/sq: asserts converted to expressions.
  EXPECT_EQ(t[2].task.kind, eval::TestKind::Expr);
  EXPECT_EQ(t[2].task.base_inputs, (std::vector<std::string>{"sq(3)", "sq(-2)"}));
  EXPECT_EQ(t[2].labels[1], "assert sq(-2) == 4");
  std::vector<std::string> answers = {"def add(a, b):\n    return a + b\n",
                                      "def rev(s):\n    return s[::-1]\n", "def sq(x):\n    return x * x\n"};
  for (size_t i = 0; i < t.size(); ++i) {
    Reward r = score_group(t[i], {block(answers[i])}, testing::fast_options()).at(0);
    EXPECT_DOUBLE_EQ(r.reward, 2.5) << t[i].id << ": " << r.detail;
  }
}

TEST(TaskLoad, AssertListsWithAndWithoutIds) {
  std::string path = temp_file(
      "acecode.jsonl",
      R"({"id": "x1", "question": "Reverse a list.", "tests": ["assert rev([1, 2]) == [2, 1]"]})"
      "\n\n"
      R"({"id": 17, "question": "Upper-case.", "tests": ["assert up('a') == 'A'", "assert up('') == ''"]})"
      "\n"
      R"({"question": "No id.", "tests": ["assert g() is None"]})"
      "\n");
  std::vector<RlTask> t = load_rl_tasks(path, testing::load_options());
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].id, "x1");
  EXPECT_EQ(t[0].question, "Reverse a list.");
  EXPECT_EQ(t[1].id, "17");
  EXPECT_EQ(t[1].cases(), 2u);
  EXPECT_EQ(t[2].id, "line-4");
  Reward r = score_group(t[1], {block("def up(s):\n    return s.upper()\n")}, testing::fast_options()).at(0);
  EXPECT_DOUBLE_EQ(r.reward, 2.5) << r.detail;
}

TEST(TaskLoad, BadInputIsOneLineNamingTheFileAndLine) {
  const std::string ok = R"({"id": "a", "question": "q", "tests": ["assert f(1) == 1"]})";
  struct Case {
    std::string name, contents, want;
  };
  std::vector<Case> cases = {
      {"malformed.jsonl", ok + "\n{\"id\": \"b\", \"question\": \n", ":2: malformed JSON line"},
      {"not_object.jsonl", ok + "\n[1, 2]\n", ":2: not a JSON object"},
      {"no_question.jsonl", ok + "\n{\"id\": \"b\", \"tests\": []}\n", ":2 (b): missing \"question\""},
      {"no_tests.jsonl", ok + "\n{\"id\": \"b\", \"question\": \"q\", \"tests\": []}\n",
       ":2 (b): the task has no tests"},
      {"test_not_string.jsonl", ok + "\n{\"id\": \"b\", \"question\": \"q\", \"tests\": [1]}\n",
       ":2 (b): every test must be a string"},
      {"unconvertible.jsonl",
       ok + "\n\n{\"id\": \"c\", \"question\": \"q\", \"tests\": [\"assert f(1) == 1\", \"assert f(2)\"]}\n",
       ":3 (c): test 1 `assert f(2)` cannot be converted: it is not `assert <expr> == <expected>`"},
      {"generic_check.jsonl",
       R"({"task_id": "h/1", "prompt": "def f():\n", "entry_point": "f", "test": "def check(c):\n    assert c() == 1\n"})"
       "\n",
       ":1 (h/1): its tests are a `check` function"},
      {"generic_assert.jsonl",
       R"({"task_id": "g/1", "prompt": "def f():\n", "entry_point": "f", "asserts": ["assert f() == 1"]})"
       "\n"
       R"({"task_id": "g/2", "prompt": "def f():\n", "entry_point": "f", "asserts": ["assert f() > 1"]})"
       "\n",
       ":2 (g/2): test 0 `assert f() > 1` cannot be converted"},
      {"generic_truncated.jsonl",
       R"({"task_id": "g/1", "prompt": "def f():\n", "entry_point": "f", "tests": [)"
       "\n",
       ":1"},
      {"empty.jsonl", "\n\n", ": no tasks"},
  };
  for (const auto& c : cases) {
    std::string path = temp_file(c.name, c.contents);
    std::string msg = load_error(path);
    EXPECT_EQ(msg.rfind(path, 0), 0u) << c.name << ": " << msg;
    EXPECT_NE(msg.find(path + c.want), std::string::npos) << c.name << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_NE(load_error("/nonexistent/tasks.jsonl").find("/nonexistent/tasks.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace dc::rl
