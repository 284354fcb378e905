// Synthetic tasks: canonical solutions run by Python against the outputs computed in C++ (the two are
// written independently, so each checks the other; skipped without /usr/bin/python3), docstring examples
// run as doctests, splits disjoint by template parameters whatever the seed, determinism, and the JSON
// layout of the benchmark (eval generic format) and SFT lines.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "train/synthetic.h"

namespace {

using dc::train::SyntheticOptions;
using dc::train::SyntheticTask;
using nlohmann::json;

std::vector<SyntheticTask> gen(const std::string& split, int64_t count, uint64_t seed) {
  SyntheticOptions o;
  o.split = split;
  o.count = count;
  o.seed = seed;
  return dc::train::generate_synthetic_tasks(o);
}

const char* kChecker = R"PY(
import doctest, json, sys
bad = 0
n = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    ns = {}
    exec(t["prompt"] + t["canonical_solution"], ns)
    f = ns[t["entry_point"]]
    for case in t["tests"]:
        got = f(*case["input"])
        if json.loads(json.dumps(got)) != case["output"] or type(got) is bool:
            bad += 1
            print("FAIL", t["task_id"], case, got)
    n += 1
    for ex in doctest.DocTestParser().get_examples(f.__doc__):
        if eval(ex.source, ns) != eval(ex.want, ns):
            bad += 1
            print("DOCTEST FAIL", t["task_id"], ex.source)
print("OK" if bad == 0 else "BAD", n)
sys.exit(1 if bad else 0)
)PY";

TEST(Synthetic, CanonicalSolutionsPassTheirTestsInPython) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "/usr/bin/python3 not found";
  const auto dir = std::filesystem::temp_directory_path() / ("dc_synth_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto tasks = gen("train", 170, 7);
  const auto held = gen("heldout", 170, 8);
  tasks.insert(tasks.end(), held.begin(), held.end());
  std::set<std::string> names;
  for (const auto& t : tasks) names.insert(t.name);
  EXPECT_EQ(names.size(), dc::train::synthetic_templates().size());
  dc::train::write_synthetic_tasks(tasks, (dir / "tasks.jsonl").string(), "");
  dc::write_file_atomic((dir / "check.py").string(), kChecker);
  const std::string cmd =
      "/usr/bin/python3 " + (dir / "check.py").string() + " " + (dir / "tasks.jsonl").string() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int rc = pclose(p);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "OK " + std::to_string(tasks.size()) + "\n");
  std::filesystem::remove_all(dir);
}

TEST(Synthetic, SplitsAreDisjointByParameters) {
  std::set<std::string> train_keys, held_keys;
  for (uint64_t seed : {1, 2}) {
    for (const auto& t : gen("train", 1000000, seed)) {
      EXPECT_EQ(t.split, "train");
      train_keys.insert(t.name + "/" + json(t.params).dump());
    }
    for (const auto& t : gen("heldout", 1000000, seed)) {
      EXPECT_EQ(t.split, "heldout");
      held_keys.insert(t.name + "/" + json(t.params).dump());
    }
  }
  for (const auto& k : held_keys) EXPECT_EQ(train_keys.count(k), 0u) << k;
  // About 20% held out, and each family has tasks in both splits.
  const double share = double(held_keys.size()) / double(held_keys.size() + train_keys.size());
  EXPECT_GT(share, 0.12);
  EXPECT_LT(share, 0.28);
  for (const auto& fam : dc::train::synthetic_families()) {
    SyntheticOptions o;
    o.split = "heldout";
    o.count = 5;
    o.families = {fam};
    const auto ts = dc::train::generate_synthetic_tasks(o);
    ASSERT_FALSE(ts.empty()) << fam;
    for (const auto& t : ts) EXPECT_EQ(t.family, fam);
  }
  // The split of a tuple depends only on the template and the parameters.
  EXPECT_EQ(dc::train::synthetic_split_of("affine", {3, 4}, 20),
            dc::train::synthetic_split_of("affine", {3, 4}, 20));
}

TEST(Synthetic, DeterministicAndWithoutRepeats) {
  const auto a = gen("train", 300, 5), b = gen("train", 300, 5), c = gen("train", 300, 6);
  ASSERT_EQ(a.size(), 300u);
  bool differs = false;
  std::set<std::string> ids;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(dc::train::synthetic_benchmark_line(a[i]), dc::train::synthetic_benchmark_line(b[i]));
    differs |= a[i].task_id != c[i].task_id;
    ids.insert(a[i].task_id);
  }
  EXPECT_TRUE(differs);
  EXPECT_EQ(ids.size(), a.size());
}

TEST(Synthetic, PerTemplateDrawsEveryTemplateEqually) {
  // The train split holds few tuples of some templates (the bounded ones) and hundreds of others; 200 per
  // template is more than the smallest has, so those repeat their tuples with other docstring examples.
  SyntheticOptions o;
  o.per_template = 200;
  o.seed = 9;
  const auto ts = dc::train::generate_synthetic_tasks(o);
  std::map<std::string, int> per_template;
  std::map<std::string, std::set<std::string>> ids, prompts;
  for (const auto& t : ts) {
    ++per_template[t.name];
    ids[t.name].insert(t.task_id);
    prompts[t.name].insert(t.prompt);
    EXPECT_EQ(t.split, "train");
  }
  EXPECT_EQ(per_template.size(), dc::train::synthetic_templates().size());
  bool some_repeat = false;
  for (const auto& [name, n] : per_template) {
    EXPECT_EQ(n, 200) << name;
    some_repeat |= ids[name].size() < 200u;
    // A repeated tuple comes with other docstring examples, so prompts outnumber tuples.
    if (ids[name].size() < 200u) {
      EXPECT_GT(prompts[name].size(), ids[name].size()) << name;
    }
  }
  EXPECT_TRUE(some_repeat);
  // Round-robin: the first tasks are one of each template.
  std::set<std::string> first;
  for (size_t i = 0; i < per_template.size(); ++i) first.insert(ts[i].name);
  EXPECT_EQ(first.size(), per_template.size());
  const auto again = dc::train::generate_synthetic_tasks(o);
  ASSERT_EQ(again.size(), ts.size());
  for (size_t i = 0; i < ts.size(); ++i)
    EXPECT_EQ(dc::train::synthetic_benchmark_line(again[i]), dc::train::synthetic_benchmark_line(ts[i]));
  o.per_template = -1;
  EXPECT_THROW(dc::train::generate_synthetic_tasks(o), dc::Error);
}

TEST(Synthetic, LineFormats) {
  const auto t = gen("train", 1, 3).at(0);
  const json b = json::parse(dc::train::synthetic_benchmark_line(t));
  EXPECT_EQ(b["task_id"], t.task_id);
  EXPECT_EQ(b["entry_point"], t.entry_point);
  EXPECT_EQ(b["prompt"].get<std::string>().rfind("def " + t.entry_point + "(", 0), 0u);
  ASSERT_EQ(b["tests"].size(), 8u);
  for (const auto& c : b["tests"]) {
    EXPECT_TRUE(c["input"].is_array());
    EXPECT_TRUE(c.contains("output"));
  }
  const json s = json::parse(dc::train::synthetic_sft_line(t));
  EXPECT_EQ(s["prompt"].get<std::string>().rfind("Please complete the following problem:\n```\ndef ", 0), 0u);
  EXPECT_EQ(s["response"].get<std::string>(),
            "Here is the code to solve this problem:\n```python\n" + t.prompt + t.canonical_solution + "```");
}

TEST(Synthetic, BadOptions) {
  SyntheticOptions o;
  o.split = "test";
  EXPECT_THROW(dc::train::generate_synthetic_tasks(o), dc::Error);
  o.split = "train";
  o.families = {"poetry"};
  EXPECT_THROW(dc::train::generate_synthetic_tasks(o), dc::Error);
  o.families = {};
  o.count = 0;
  EXPECT_THROW(dc::train::generate_synthetic_tasks(o), dc::Error);
}

}  // namespace
