// The answer-lookup attack: a candidate that solves nothing but opens the benchmark file, finds its own
// task's canonical solution and runs it (or reads the expected-output cache). The oracle that the attack
// itself is right: run with the whole file system readable, it returns the correct value. Under eval it
// must score nothing.
#include <gtest/gtest.h>

#include "eval/evaluator.h"
#include "eval_fixture.h"
#include "sandbox/sandbox.h"

namespace dc::eval {
namespace {

using testing::data_dir;
using testing::options;
using testing::scratch;

// Defines add(x, y) by looking up HumanEval/53's canonical solution in every benchmark file it can find.
std::string lookup_attack(const std::string& prompt) {
  return "import gzip, json, os\n"
         "def _lookup():\n"
         "    for d in ['" +
         data_dir() + "', '" + testing::cache_dir() +
         "']:\n"
         "        for f in sorted(os.listdir(d)):\n"
         "            p = os.path.join(d, f)\n"
         "            if not f.endswith('.jsonl.gz'): continue\n"
         "            for line in gzip.open(p, 'rt'):\n"
         "                t = json.loads(line)\n"
         "                if t.get('task_id') == 'HumanEval/53':\n"
         "                    ns = {}\n"
         "                    exec(t['prompt'] + t['canonical_solution'], ns)\n"
         "                    return ns[t['entry_point']]\n" +
         prompt + "    return _lookup()(x, y)\n";
}

TEST(AnswerLookup, TheAttackWorksWhereTheFilesAreReadable) {
  // The unrestricted view still gives /tmp a private tmpfs under namespaces: data under /tmp cannot be
  // seen from there, so the oracle cannot run (ScoresNothingUnderEval still does).
  if (sandbox::probe_layers().namespaces() && data_dir().rfind("/tmp/", 0) == 0)
    GTEST_SKIP() << "the data is under /tmp, which the namespaces hide: " << data_dir();
  Dataset d = load_benchmark("humaneval+mini", data_dir());
  sandbox::Job j;
  j.argv = {"/usr/bin/python3", "-I", "-B", "-c",
            lookup_attack(d.find("HumanEval/53")->prompt) + "print(add(2, 3))\n"};
  j.restrict_reads = false;
  j.limits.wall_seconds = 30;
  sandbox::ProcessResult r = sandbox::run_process(j);
  ASSERT_EQ(r.status, sandbox::Status::Ok) << r.err;
  EXPECT_EQ(r.out, "5\n");
}

TEST(AnswerLookup, ScoresNothingUnderEval) {
  Dataset d = load_benchmark("humaneval+mini", data_dir());
  std::vector<Task> keep = {*d.find("HumanEval/53")};
  d.tasks = keep;
  EvalOptions o = options(scratch("answer-lookup"));
  o.min_test_seconds = 1.0;
  Summary s = evaluate(d, {{"HumanEval/53", lookup_attack(d.tasks[0].prompt)}}, o);
  ASSERT_EQ(s.results.size(), 1u);
  EXPECT_FALSE(s.results[0].base_pass) << s.results[0].base.status << " " << s.results[0].base.detail;
  EXPECT_FALSE(s.results[0].plus_pass);
  EXPECT_EQ(s.pass1_base, 0.0);
}

}  // namespace
}  // namespace dc::eval
