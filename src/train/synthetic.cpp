#include "train/synthetic.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/rng.h"
#include "tokenizer/chat_template.h"
#include "train/synthetic_templates.h"

namespace dc::train {

using nlohmann::json;

namespace {

// FNV-1a over the template name and parameters: the split depends on nothing else.
uint64_t param_hash(const std::string& name, const std::vector<int>& params) {
  uint64_t h = 1469598103934665603ull;
  const auto mix = [&](uint8_t b) { h = (h ^ b) * 1099511628211ull; };
  for (char c : name) mix(uint8_t(c));
  for (int p : params) {
    mix('/');
    for (int k = 0; k < 4; ++k) mix(uint8_t(uint32_t(p) >> (8 * k)));
  }
  // Final avalanche so that neighbouring tuples land independently.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

// Every valid parameter tuple of a template, in lexicographic order.
std::vector<std::vector<int>> all_params(const synth::Template& t) {
  std::vector<std::vector<int>> out;
  std::vector<int> cur;
  for (const auto& r : t.ranges) cur.push_back(r.first);
  while (true) {
    if (!t.valid || t.valid(cur)) out.push_back(cur);
    size_t k = cur.size();
    while (k > 0 && cur[k - 1] == t.ranges[k - 1].second) --k;
    if (k == 0) break;
    ++cur[k - 1];
    for (size_t j = k; j < cur.size(); ++j) cur[j] = t.ranges[j].first;
  }
  return out;
}

std::string params_key(const std::vector<int>& params) {
  std::string s;
  for (size_t i = 0; i < params.size(); ++i) s += (i ? "_" : "") + std::to_string(params[i]);
  return s;
}

SyntheticTask make_task(const synth::Template& t, const std::vector<int>& params, const std::string& split,
                        Rng& rng, int n_tests) {
  const synth::Instance in = t.make(params, rng, n_tests);
  SyntheticTask task;
  task.task_id = fmt::format("synthetic/{}/{}", t.name, params_key(params));
  task.family = t.family;
  task.name = t.name;
  task.params = params;
  task.split = split;
  task.entry_point = in.entry;
  // Docstring: the summary and two examples, doctest style.
  task.prompt = in.signature + "\n    \"\"\"" + in.summary + "\n";
  for (size_t i = 0; i < in.tests.size() && i < 2; ++i) {
    std::string args;
    for (size_t k = 0; k < in.tests[i].first.size(); ++k)
      args += (k ? ", " : "") + synth::py_repr(in.tests[i].first[k]);
    task.prompt +=
        fmt::format("    >>> {}({})\n    {}\n", in.entry, args, synth::py_repr(in.tests[i].second));
  }
  task.prompt += "    \"\"\"\n";
  task.canonical_solution = in.body;
  for (const auto& [a, o] : in.tests) task.tests.emplace_back(a.dump(), o.dump());
  return task;
}

}  // namespace

std::vector<std::string> synthetic_families() {
  return {"arithmetic", "strings", "lists", "conditionals", "loops", "combinations"};
}

std::vector<std::string> synthetic_templates() {
  std::vector<std::string> out;
  for (const auto& t : synth::templates()) out.push_back(t.family + "/" + t.name);
  return out;
}

std::string synthetic_split_of(const std::string& template_name, const std::vector<int>& params,
                               int heldout_percent) {
  return int(param_hash(template_name, params) % 100) < heldout_percent ? "heldout" : "train";
}

std::vector<SyntheticTask> generate_synthetic_tasks(const SyntheticOptions& opt) {
  if (opt.split != "train" && opt.split != "heldout") {
    throw_error("synthetic tasks: unknown split '{}' (expected train or heldout)", opt.split);
  }
  if (opt.heldout_percent < 1 || opt.heldout_percent > 99) {
    throw_error("synthetic tasks: held-out share {}% is not within 1..99", opt.heldout_percent);
  }
  if (opt.count < 1 || opt.count > kMaxSyntheticTasks)
    throw_error("synthetic tasks: count {} is not within 1..{}", opt.count, kMaxSyntheticTasks);
  const int64_t n_templates = int64_t(synth::templates().size());
  if (opt.per_template < 0 || opt.per_template > kMaxSyntheticTasks / n_templates) {
    throw_error("synthetic tasks: {} per template is not within 0..{}", opt.per_template,
                kMaxSyntheticTasks / n_templates);
  }
  const int64_t wanted = opt.per_template > 0 ? opt.per_template * n_templates : opt.count;
  if (opt.tests_per_task < 1 || opt.tests_per_task > kMaxTestsPerTask)
    throw_error("synthetic tasks: {} tests per task is not within 1..{}", opt.tests_per_task,
                kMaxTestsPerTask);
  if (wanted * opt.tests_per_task > kMaxSyntheticTestCases)
    throw_error("synthetic tasks: {} tasks x {} tests is more than the cap of {} test cases", wanted,
                opt.tests_per_task, kMaxSyntheticTestCases);
  const auto fams = synthetic_families();
  for (const auto& f : opt.families) {
    if (std::find(fams.begin(), fams.end(), f) == fams.end()) {
      throw_error(
          "synthetic tasks: unknown family '{}' (known: arithmetic, strings, lists, conditionals, loops, "
          "combinations)",
          f);
    }
  }
  Rng rng(opt.seed);
  // Per template: its tuples in this split, shuffled by the seed.
  std::vector<std::pair<const synth::Template*, std::vector<std::vector<int>>>> pools;
  for (const auto& t : synth::templates()) {
    if (!opt.families.empty() &&
        std::find(opt.families.begin(), opt.families.end(), t.family) == opt.families.end()) {
      continue;
    }
    std::vector<std::vector<int>> mine;
    for (auto& p : all_params(t)) {
      if (synthetic_split_of(t.name, p, opt.heldout_percent) == opt.split) mine.push_back(std::move(p));
    }
    for (size_t i = mine.size(); i > 1; --i) std::swap(mine[i - 1], mine[rng.below(i)]);
    pools.emplace_back(&t, std::move(mine));
  }
  std::vector<SyntheticTask> out;
  if (opt.per_template > 0) {
    // Round-robin over templates, each cycling through its tuples until it has given per_template.
    for (int64_t round = 0; round < opt.per_template; ++round) {
      for (const auto& [t, tuples] : pools) {
        if (tuples.empty()) continue;
        out.push_back(
            make_task(*t, tuples[size_t(round) % tuples.size()], opt.split, rng, opt.tests_per_task));
      }
    }
    return out;
  }
  // Round-robin over templates, without replacement.
  for (size_t round = 0; int64_t(out.size()) < opt.count; ++round) {
    bool any = false;
    for (const auto& [t, tuples] : pools) {
      if (round >= tuples.size() || int64_t(out.size()) >= opt.count) continue;
      any = true;
      out.push_back(make_task(*t, tuples[round], opt.split, rng, opt.tests_per_task));
    }
    if (!any) break;
  }
  return out;
}

std::string synthetic_benchmark_line(const SyntheticTask& t) {
  nlohmann::ordered_json j;
  j["task_id"] = t.task_id;
  j["prompt"] = t.prompt;
  j["entry_point"] = t.entry_point;
  j["canonical_solution"] = t.canonical_solution;
  nlohmann::ordered_json tests = nlohmann::ordered_json::array();
  for (const auto& [in, out] : t.tests) {
    tests.push_back(
        {{"input", nlohmann::ordered_json::parse(in)}, {"output", nlohmann::ordered_json::parse(out)}});
  }
  j["tests"] = tests;
  j["family"] = t.family;
  j["template"] = t.name;
  j["params"] = t.params;
  j["split"] = t.split;
  return j.dump();
}

std::string synthetic_sft_line(const SyntheticTask& t) {
  std::string stripped = t.prompt;
  while (!stripped.empty() && (stripped.back() == '\n' || stripped.back() == ' ')) stripped.pop_back();
  nlohmann::ordered_json j;
  j["prompt"] = "Please complete the following problem:\n```\n" + stripped + "\n```\n";
  j["response"] = std::string(kEvalAssistantPrefix) + t.prompt + t.canonical_solution + "```";
  return j.dump();
}

void write_synthetic_tasks(const std::vector<SyntheticTask>& tasks, const std::string& benchmark_path,
                           const std::string& sft_path) {
  if (!benchmark_path.empty()) {
    std::string s;
    for (const auto& t : tasks) s += synthetic_benchmark_line(t) + "\n";
    write_file_atomic(benchmark_path, s);
  }
  if (!sft_path.empty()) {
    std::string s;
    for (const auto& t : tasks) s += synthetic_sft_line(t) + "\n";
    write_file_atomic(sft_path, s);
  }
}

}  // namespace dc::train
