// End to end through the sandbox: canonical solutions score 100% base and plus on every benchmark file;
// mutated solutions and adversarial candidates score exactly as decided by hand; an interrupted results
// file resumes; samples from a (fake) model follow the paper's prompts. The expected-output cache lives
// in the build tree (computed once: about a minute for MBPP+ on 2 cores).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.h"
#include "core/mapped_file.h"
#include "eval/evaluator.h"
#include "eval/generation.h"
#include "eval/sanitize.h"
#include "eval_fixture.h"

namespace dc::eval {
namespace {

using testing::canonical_samples;
using testing::data_dir;
using testing::options;
using testing::scratch;

Summary eval_canonical(const std::string& benchmark) {
  Dataset d = load_benchmark(benchmark, data_dir());
  return evaluate(d, canonical_samples(d), options(scratch(benchmark)));
}

void expect_perfect(const Summary& s, size_t tasks) {
  EXPECT_EQ(s.tasks, tasks);
  EXPECT_EQ(s.pass1_base, 1.0);
  if (s.has_plus) {
    EXPECT_EQ(s.pass1_plus, 1.0);
  }
  for (const auto& r : s.results) {
    EXPECT_TRUE(r.base_pass) << r.task_id << ": " << r.base.status << " " << r.base.detail;
    if (s.has_plus) {
      EXPECT_TRUE(r.plus_pass) << r.task_id << ": " << r.plus.status << " " << r.plus.detail;
    }
  }
}

TEST(EvaluateCanonical, HumanEvalPlus) {
  expect_perfect(eval_canonical("humaneval+"), 164);
}
TEST(EvaluateCanonical, MbppPlus) {
  expect_perfect(eval_canonical("mbpp+"), 378);
}
TEST(EvaluateCanonical, HumanEvalPlusMini) {
  expect_perfect(eval_canonical("humaneval+mini"), 164);
}
TEST(EvaluateCanonical, HumanEvalOriginal) {
  expect_perfect(eval_canonical("humaneval-original"), 164);
}

// A dataset holding only the named tasks of a benchmark.
Dataset subset(const std::string& benchmark, const std::vector<std::string>& ids) {
  Dataset d = load_benchmark(benchmark, data_dir());
  std::vector<Task> keep;
  for (const auto& id : ids) keep.push_back(*d.find(id));
  d.tasks = keep;
  return d;
}

TEST(EvaluateMutants, ScoreExactlyAsExpected) {
  Dataset d = subset("humaneval+mini",
                     {"HumanEval/53", "HumanEval/13", "HumanEval/44", "HumanEval/103", "HumanEval/2"});
  auto canon = [&](const std::string& id) {
    const Task& t = *d.find(id);
    return t.prompt + t.canonical_solution;
  };
  // Swapped arguments: wrap the canonical function.
  auto swapped = [&](const std::string& id) {
    const Task& t = *d.find(id);
    return canon(id) + "\n_orig = " + t.entry_point + "\ndef " + t.entry_point +
           "(a, b):\n    return _orig(b, a)\n";
  };
  struct Case {
    std::string id, program, base_status;
  };
  std::vector<Case> cases = {
      {"HumanEval/53", d.find("HumanEval/53")->prompt + "    return None\n", "wrong_answer"},
      {"HumanEval/53", d.find("HumanEval/53")->prompt + "    return x + y + 1\n", "wrong_answer"},
      {"HumanEval/53", swapped("HumanEval/53"), "pass"},            // add is commutative
      {"HumanEval/13", swapped("HumanEval/13"), "pass"},            // gcd is commutative
      {"HumanEval/44", swapped("HumanEval/44"), "wrong_answer"},    // change_base(3, 8) = "3", not "22"
      {"HumanEval/103", swapped("HumanEval/103"), "wrong_answer"},  // rounded_avg(n, m) is -1 when n > m
      // truncate_number(3.5) = 0.5; one ulp of drift is within the float tolerance, 1e-3 is not.
      {"HumanEval/2", d.find("HumanEval/2")->prompt + "    return number % 1.0 + 1e-12\n", "pass"},
      {"HumanEval/2", d.find("HumanEval/2")->prompt + "    return number % 1.0 + 1e-3\n", "wrong_answer"},
      {"HumanEval/2", d.find("HumanEval/2")->prompt + "    return int(number % 1.0)\n", "wrong_answer"},
  };
  std::vector<Sample> samples;
  for (const auto& c : cases) samples.push_back({c.id, c.program});
  Summary s = evaluate(d, samples, options(scratch("mutants")));
  ASSERT_EQ(s.results.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(s.results[i].base.status, cases[i].base_status)
        << i << " " << cases[i].id << ": " << s.results[i].base.detail;
  }
  EXPECT_NE(s.results[1].base.detail.find("base test 0: expected 1, got 2"), std::string::npos)
      << s.results[1].base.detail;
  EXPECT_NE(s.results[4].base.detail.find("base test 0: expected \"22\", got \"3\""), std::string::npos);
}

TEST(EvaluateAdversarial, FailWithTheRightStatusAndLeaveTheHostIntact) {
  Dataset d = subset("humaneval+mini", {"HumanEval/53"});
  const std::string p = d.tasks[0].prompt;
  std::string marker = scratch("marker") + "/owned";
  struct Case {
    std::string program, status;
  };
  std::vector<Case> cases = {
      {"class A:\n    def __eq__(self, o): return True\n\n" + p + "    return A()\n", "wrong_answer"},
      {"import sys\n" + p +
           "    fr = sys._getframe(1)\n    while fr is not None:\n        for k in ('expected', 'exp'):\n"
           "            if k in fr.f_locals: return fr.f_locals[k]\n        fr = fr.f_back\n    return "
           "None\n",
       "wrong_answer"},
      {p + "    while True:\n        pass\n", "timeout"},
      {p + "    return bytearray(1 << 34)\n", "oom"},
      {p + "    import ctypes\n    return ctypes.string_at(0)\n", "crash"},
      {p + "    return x +\n", "program_error"},
      {p + "    raise ValueError('no')\n", "exception"},
      {"open('" + marker + "', 'w').write('x')\n" + p + "    return x + y\n", "program_error"},
      {p + "    return x + y\n", "pass"},
  };
  std::vector<Sample> samples;
  for (const auto& c : cases) samples.push_back({"HumanEval/53", c.program});
  EvalOptions o = options(scratch("adversarial"));
  o.min_test_seconds = 1.0;
  o.memory_bytes = 1ull << 30;
  Summary s = evaluate(d, samples, o);
  ASSERT_EQ(s.results.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(s.results[i].base.status, cases[i].status) << i << ": " << s.results[i].base.detail;
    EXPECT_EQ(s.results[i].plus_pass, cases[i].status == "pass") << i;
  }
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(EvaluateResume, InterruptedRunContinuesAndLosesNothing) {
  Dataset d = load_benchmark("humaneval+mini", data_dir());
  std::vector<Sample> samples = canonical_samples(d);
  samples[5].program = d.tasks[5].prompt + "    return None\n";  // one failing sample
  std::string dir = scratch("resume");
  EvalOptions o = options(dir);
  Summary first = evaluate(d, samples, o);
  EXPECT_EQ(first.resumed, 0u);
  EXPECT_NEAR(first.pass1_plus, 163.0 / 164.0, 1e-12);

  // Keep 100 finished lines and half of the next one, as a kill in the middle of a write would.
  std::string text = read_file(o.results_path);
  size_t pos = 0;
  for (int i = 0; i < 100; ++i) pos = text.find('\n', pos) + 1;
  size_t next = text.find('\n', pos);
  write_file_atomic(o.results_path, text.substr(0, pos + (next - pos) / 2));
  Summary second = evaluate(d, samples, o);
  EXPECT_EQ(second.resumed, 100u);
  EXPECT_EQ(second.pass1_base, first.pass1_base);
  EXPECT_EQ(second.pass1_plus, first.pass1_plus);
  EXPECT_FALSE(second.results[5].base_pass);
  Summary third = evaluate(d, samples, o);
  EXPECT_EQ(third.resumed, 164u);
  EXPECT_EQ(third.pass1_plus, first.pass1_plus);
  // Other settings do not reuse these lines.
  EvalOptions o2 = o;
  o2.time_factor = 5.0;
  std::vector<Sample> one(samples.begin(), samples.begin() + 3);
  EXPECT_EQ(evaluate(d, one, o2).resumed, 0u);
  std::string md = read_file(o.summary_path);
  EXPECT_NE(md.find("| pass@1 (%) |"), std::string::npos);
}

TEST(EvaluateGeneric, OutputsGivenOrComputedAndAsserts) {
  Dataset d = load_dataset(std::string(DC_TESTDATA_DIR) + "/eval/generic.jsonl");
  std::vector<Sample> samples = {
      {"demo/add", "def add(a, b):\n    return a + b\n"}, {"demo/rev", "def rev(s):\n    return s[::-1]\n"},
      {"demo/sq", "def sq(x):\n    return x * x\n"},      {"demo/add", "def add(a, b):\n    return a - b\n"},
      {"demo/rev", "def rev(s):\n    return s\n"},        {"demo/sq", "def sq(x):\n    return x * 3\n"},
  };
  Summary s = evaluate(d, samples, options(scratch("generic")));
  ASSERT_EQ(s.results.size(), 6u);
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(s.results[i].plus_pass) << i << s.results[i].base.detail << s.results[i].plus.detail;
  EXPECT_EQ(s.results[3].base.status, "wrong_answer");
  EXPECT_EQ(s.results[4].base.status, "wrong_answer");
  EXPECT_EQ(s.results[4].base.passed, 1);  // rev("") == ""
  EXPECT_EQ(s.results[5].base.status, "exception");
  EXPECT_DOUBLE_EQ(s.pass1_plus, 0.5);
  auto j = s.to_json();
  EXPECT_EQ(j["pass_at_1"]["base"], 0.5);
  EXPECT_EQ(j["pass_at_k"]["1"]["plus"], 0.5);
  EXPECT_EQ(j["n"], 2);
}

TEST(Sanitize, KeepsWhatTheEntryPointReaches) {
  std::vector<SanitizeRequest> reqs = {
      {"import math\ndef helper(x):\n    return x\n\ndef add(x, y):\n    return helper(x) + y\n\ndef "
       "unused():\n"
       "    pass\nprint(add(1, 2))\nassert add(1, 2) == 4\nif __name__ == '__main__':\n    main()\n",
       "add"},
      {"def add(x, y):\n    return x + y\n\nThis function adds two numbers.", "add"},
      {"K = 3\n@staticmethod\ndef deco(f):\n    return f\n\n@deco\ndef f(x):\n    return x * K\nf(1)\n", "f"},
      {"def g():\n    pass\n", "missing"},
  };
  std::vector<std::string> out = sanitize(reqs);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], "import math\ndef helper(x):\n    return x\ndef add(x, y):\n    return helper(x) + y\n");
  EXPECT_EQ(out[1], "def add(x, y):\n    return x + y\n");
  EXPECT_EQ(out[2], "K = 3\n@staticmethod\ndef deco(f):\n    return f\n@deco\ndef f(x):\n    return x * K\n");
  EXPECT_EQ(out[3], reqs[3].code);
}

TEST(Generation, PromptsExtractionAndResume) {
  Dataset d = subset("humaneval+mini", {"HumanEval/53", "HumanEval/0"});
  PromptRequest chat = eval_prompt(d.tasks[0], true);
  EXPECT_EQ(chat.prompt.rfind("Please complete the following problem:\n```\ndef add(x: int, y: int):", 0),
            0u);
  EXPECT_EQ(chat.prompt.substr(chat.prompt.size() - 8), "\"\"\"\n```\n");
  EXPECT_EQ(chat.assistant_prefix, "Here is the code to solve this problem:\n```python\n");
  Dataset mb = subset("mbpp+", {"Mbpp/2"});
  EXPECT_EQ(eval_prompt(mb.tasks[0], true).prompt.rfind("```\n\"\"\"\nWrite a function", 0), 0u);
  EXPECT_EQ(eval_prompt(d.tasks[0], false).prompt, d.tasks[0].prompt);

  // A chat answer continues the open ```python block; the prompt's imports are kept.
  std::string answer =
      "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n    return True\n```\nDone.";
  std::string program = program_from_answer(d.tasks[1], answer, true);
  EXPECT_EQ(
      program,
      "from typing import List\ndef has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
      "    return True\n");
  EXPECT_EQ(program_from_answer(d.tasks[0], "    return x + y\n", false),
            d.tasks[0].prompt + "    return x + y\n");

  std::string path = scratch("generation") + "/samples.jsonl";
  int calls = 0;
  CompleteFn fake = [&](const std::vector<PromptRequest>& reqs, int sample) {
    ++calls;
    std::vector<std::string> out;
    for (const auto& r : reqs) {
      EXPECT_FALSE(r.chat);
      out.push_back(r.prompt.find("def add") != std::string::npos
                        ? (sample == 0 ? "    return x + y\n" : "    return 0\n")
                        : "    return False\n");
    }
    return out;
  };
  GenerateSamplesOptions go;
  go.n = 2;
  go.samples_path = path;
  go.progress = false;
  std::vector<Sample> s1 = generate_samples(d, fake, go);
  EXPECT_EQ(calls, 2);
  ASSERT_EQ(s1.size(), 4u);
  std::vector<Sample> s2 = generate_samples(
      d,
      [&](const std::vector<PromptRequest>&, int) -> std::vector<std::string> {
        throw Error("must not be called");
      },
      go);
  ASSERT_EQ(s2.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(s1[i].program, s2[i].program);
  // The samples file is itself a valid --samples file.
  EXPECT_EQ(load_samples(path, d).size(), 4u);
  Summary s = evaluate(d, s2, options(scratch("generation-eval")));
  EXPECT_DOUBLE_EQ(s.pass1_base, 0.25);  // add: 1 of 2; has_close_elements: 0 of 2
  EXPECT_EQ(s.pass_at_k.size(), 0u);     // k = 5 needs n >= 5
  EXPECT_NEAR(s.to_json()["pass_at_k"]["1"]["base"].get<double>(), 0.25, 1e-15);
}

}  // namespace
}  // namespace dc::eval
