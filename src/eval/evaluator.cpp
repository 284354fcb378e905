#include "eval/evaluator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "core/error.h"
#include "core/mapped_file.h"
#include "dist/agreement.h"
#include "dist/records.h"
#include "eval/append_file.h"
#include "eval/harness.h"
#include "eval/judge.h"
#include "eval/pass_at_k.h"
#include "eval/progress.h"
#include "eval/runner.h"
#include "eval/sha256.h"

namespace dc::eval {

using nlohmann::json;
using sandbox::Status;

namespace {

// Samples per rank in one judging round of a job (evaluate()).
constexpr size_t kJudgeRoundPerRank = 64;

std::string one_line(std::string s, size_t max_chars = 300) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
  return s;
}

// The words of the results file: as the sandbox names them, except the two a test itself decides.
const char* status_word(Status s) {
  if (s == Status::Ok) return "pass";
  if (s == Status::Fail) return "exception";
  return sandbox::status_name(s);
}

// Judges tests [begin, end) of a run against `exp` (same length).
PartResult judge_part(const Task& task, const std::vector<ExpectedOutput>& exp,
                      const sandbox::TestRunResult& run, size_t begin, size_t end, const char* part) {
  PartResult r;
  r.total = int(end - begin);
  JudgeState state(task);
  bool failed = false;
  for (size_t i = begin; i < end; ++i) {
    const auto& t = run.tests[i];
    std::string why;
    bool ok = false;
    if (t.status == Status::Ok) {
      ok = judge_output(task, exp[i - begin], t.output, state, &why);
      if (!ok && !failed) {
        r.status = "wrong_answer";
        r.detail = fmt::format("{} test {}: {}", part, i - begin, why);
      }
    } else if (!failed) {
      if (t.status == Status::NotRun && run.program_status != Status::Ok) {
        r.status = run.program_status == Status::Fail ? "program_error" : status_word(run.program_status);
        r.detail = run.program_error.empty() ? run.stderr_tail : run.program_error;
      } else {
        r.status = status_word(t.status);
        r.detail = fmt::format("{} test {}: {}", part, i - begin, t.output);
      }
    }
    if (ok) ++r.passed;
    failed = failed || !ok;
  }
  if (!failed) r.status = "pass";
  r.detail = one_line(r.detail);
  return r;
}

std::string sample_key(const Dataset& d, const Task& t, const std::string& program, const EvalOptions& opt) {
  Sha256 h;
  h.update(fmt::format("dc-eval-v{}\n{}\n{}\n{}\n{}\n{}\n{}\n", kHarnessVersion, d.sha256, d.name, d.has_plus,
                       opt.min_test_seconds, opt.time_factor, opt.memory_bytes));
  // Added to the key only when it differs from EvalPlus's default, so results recorded before the cap
  // existed (which no sample then exceeded unless it was slow anyway) keep their keys.
  if (opt.task_seconds != kEvalPlusTaskSeconds) h.update(fmt::format("task_seconds {}\n", opt.task_seconds));
  h.update(t.task_id);
  h.update("\n");
  h.update(program);
  return h.hex_digest();
}

json part_json(const PartResult& p) {
  return json{{"status", p.status}, {"passed", p.passed}, {"total", p.total}, {"detail", p.detail}};
}

PartResult part_from_json(const json& j) {
  PartResult p;
  p.status = j.value("status", std::string("not_run"));
  p.passed = j.value("passed", 0);
  p.total = j.value("total", 0);
  p.detail = j.value("detail", std::string());
  return p;
}

// The judged part of `r` (statuses, counts, time) from its line in the results file.
void read_result(const json& j, bool has_plus, SampleResult& r) {
  r.base = part_from_json(j.value("base", json::object()));
  if (has_plus && j.contains("plus") && j["plus"].is_object()) r.plus = part_from_json(j["plus"]);
  r.base_pass = r.base.status == "pass";
  r.plus_pass = has_plus && r.base_pass && r.plus.status == "pass";
  r.seconds = j.value("seconds", 0.0);
}

// Rank 0's `indices` (each below `bound`) on every rank.
void broadcast_indices(const dist::Comm& comm, std::vector<size_t>& indices, size_t bound) {
  if (!comm.distributed()) return;
  std::string bytes(indices.size() * sizeof(uint64_t), '\0');
  for (size_t k = 0; k < indices.size(); ++k) {
    const uint64_t i = indices[k];
    std::memcpy(bytes.data() + k * sizeof(uint64_t), &i, sizeof(i));
  }
  comm.broadcast(bytes);
  indices.resize(bytes.size() / sizeof(uint64_t));
  for (size_t k = 0; k < indices.size(); ++k) {
    uint64_t i = 0;
    std::memcpy(&i, bytes.data() + k * sizeof(uint64_t), sizeof(i));
    DC_ASSERT(i < bound, "rank 0 sent an index out of range");
    indices[k] = size_t(i);
  }
}

// The rank that judges samples[todo[k]]: the one that generated it, else each rank in turn.
std::vector<int> judging_ranks(const std::vector<Sample>& samples, const std::vector<size_t>& todo,
                               const dist::Comm& comm) {
  std::vector<int> judge(todo.size());
  for (size_t k = 0, turn = 0; k < todo.size(); ++k) {
    const int generated_by = samples[todo[k]].rank;
    judge[k] =
        generated_by >= 0 && generated_by < comm.size() ? generated_by : int(turn++ % size_t(comm.size()));
  }
  return judge;
}

json result_json(const SampleResult& r, bool has_plus) {
  json j{{"task_id", r.task_id},      {"sample", r.sample},       {"key", r.key},
         {"base", part_json(r.base)}, {"base_pass", r.base_pass}, {"seconds", r.seconds}};
  j["plus"] = has_plus ? part_json(r.plus) : json(nullptr);
  j["plus_pass"] = has_plus ? json(r.plus_pass) : json(nullptr);
  return j;
}

}  // namespace

sandbox::TestRunRequest candidate_request(const Task& task, const TaskExpected& expected,
                                          const std::string& program, bool has_plus, const EvalOptions& opt) {
  sandbox::TestRunRequest req;
  req.program = program;
  req.harness = harness_source(harness_params(task, false));
  req.inputs = task.base_inputs;
  if (has_plus) req.inputs.insert(req.inputs.end(), task.plus_inputs.begin(), task.plus_inputs.end());
  auto limit = [&](const ExpectedOutput& e) {
    return std::max(opt.min_test_seconds, opt.time_factor * (e.ok ? e.seconds : 0.0));
  };
  for (size_t i = 0; i < task.base_inputs.size(); ++i) {
    req.per_test_seconds.push_back(i < expected.base.size() ? limit(expected.base[i]) : opt.min_test_seconds);
  }
  if (has_plus) {
    for (size_t i = 0; i < task.plus_inputs.size(); ++i) {
      req.per_test_seconds.push_back(i < expected.plus.size() ? limit(expected.plus[i])
                                                              : opt.min_test_seconds);
    }
  }
  // EvalPlus's per-check cap (evalplus/eval/__init__.py, untrusted_check): min(EVALPLUS_TIMEOUT_PER_TASK,
  // sum of the tests' limits) + 1 s, once for the base inputs and once for the plus inputs.
  auto add_cap = [&](size_t begin, size_t end) {
    if (begin == end) return;
    double sum = 0;
    for (size_t i = begin; i < end; ++i) sum += req.per_test_seconds[i];
    req.time_caps.push_back({begin, end, std::min(opt.task_seconds, sum) + 1.0});
  };
  add_cap(0, task.base_inputs.size());
  if (has_plus) add_cap(task.base_inputs.size(), req.inputs.size());
  req.stop_at_first_failure = true;
  req.limits.wall_seconds = 20;  // interpreter start-up and loading the program
  req.limits.memory_bytes = opt.memory_bytes;
  req.limits.output_bytes = opt.output_bytes;
  req.use_namespaces = opt.use_namespaces;
  return req;
}

SampleResult judge_run(const Task& task, const TaskExpected& expected, const sandbox::TestRunResult& run,
                       bool has_plus) {
  SampleResult r;
  r.task_id = task.task_id;
  size_t nb = task.base_inputs.size();
  size_t np = has_plus ? task.plus_inputs.size() : 0;
  DC_ASSERT(run.tests.size() == nb + np && expected.base.size() == nb &&
            (!has_plus || expected.plus.size() == np));
  r.base = judge_part(task, expected.base, run, 0, nb, "base");
  r.base_pass = r.base.status == "pass";
  if (has_plus) {
    r.plus = judge_part(task, expected.plus, run, nb, nb + np, "plus");
    r.plus_pass = r.base_pass && r.plus.status == "pass";
  }
  r.seconds = run.seconds;
  return r;
}

Summary evaluate(const Dataset& d, const std::vector<Sample>& samples, const EvalOptions& opt) {
  if (opt.results_path.empty()) throw_error("evaluate: no results file given");
  // Limits multiply reference times and become clock deadlines: NaN, infinities and huge values would
  // overflow those conversions (the command line checks the same ranges on its flags).
  auto check = [](double v, double hi, const char* what) {
    if (!(std::isfinite(v) && v > 0 && v <= hi))
      throw_error("evaluate: {} {} is not in (0, {}]", what, v, hi);
  };
  check(opt.min_test_seconds, kMaxMinTestSeconds, "min_test_seconds");
  check(opt.time_factor, kMaxTimeFactor, "time_factor");
  check(opt.task_seconds, kMaxTaskSeconds, "task_seconds");
  if (opt.memory_bytes == 0) throw_error("evaluate: memory_bytes must be positive");
  auto t0 = std::chrono::steady_clock::now();
  Summary s;
  s.benchmark = d.name;
  s.dataset_path = d.path;
  s.dataset_sha256 = d.sha256;
  s.results_path = opt.results_path;
  s.summary_path = opt.summary_path;
  s.has_plus = d.has_plus;

  // Sample indices per task and keys (a repeated program gets #1, #2, ... so each is counted).
  std::map<std::string, int> per_task;
  std::map<std::string, int> key_seen;
  s.results.resize(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const Task* t = d.find(samples[i].task_id);
    if (!t) throw_error("sample {}: task '{}' is not in {}", i, samples[i].task_id, d.name);
    auto& r = s.results[i];
    r.task_id = t->task_id;
    r.sample = per_task[t->task_id]++;
    std::string k = sample_key(d, *t, samples[i].program, opt);
    r.key = k + "#" + std::to_string(key_seen[k]++);
  }

  // Resume, on rank 0 (it alone writes the results file): results already in the file under the same
  // key. What is left (`todo`) is then ordered longest first (by the reference's total time): a slow task
  // started last would leave the other workers idle at the end. Failures here (the expected outputs
  // cannot be computed) are the same for every rank: one line.
  const dist::Comm& comm = opt.comm;
  ExpectedOptions expected_opt = opt.expected;
  expected_opt.progress = expected_opt.progress && comm.is_root();
  std::vector<size_t> todo;
  std::map<std::string, TaskExpected> expected;
  dist::agree(comm, [&] {
    if (!comm.is_root()) return;
    std::map<std::string, json> done;
    if (std::ifstream in(opt.results_path); in) {
      std::string line;
      while (std::getline(in, line)) {
        json j = json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.contains("key") && j["key"].is_string()) {
          std::string key = j["key"].get<std::string>();
          done[key] = std::move(j);
        }
      }
    }
    for (size_t i = 0; i < samples.size(); ++i) {
      auto it = done.find(s.results[i].key);
      if (it == done.end()) {
        todo.push_back(i);
        continue;
      }
      read_result(it->second, d.has_plus, s.results[i]);
      ++s.resumed;
    }
    if (todo.empty()) return;
    expected = load_expected(d, expected_opt);
    std::map<std::string, double> cost;
    for (const auto& [id, te] : expected) {
      double c = 0;
      for (const auto* part : {&te.base, &te.plus}) {
        for (const auto& e : *part) c += e.seconds + 1e-4;
      }
      cost[id] = c;
    }
    std::stable_sort(todo.begin(), todo.end(),
                     [&](size_t a, size_t b) { return cost[samples[a].task_id] > cost[samples[b].task_id]; });
  });
  broadcast_indices(comm, todo, samples.size());
  const std::vector<int> judge = judging_ranks(samples, todo, comm);
  const bool judging_here = std::find(judge.begin(), judge.end(), comm.rank()) != judge.end();
  // The other ranks read the expected outputs once rank 0 has computed and cached them.
  dist::agree(comm, [&] {
    if (!comm.is_root() && judging_here) expected = load_expected(d, expected_opt);
  });

  if (!todo.empty()) {
    std::optional<AppendFile> out;
    if (comm.is_root()) out.emplace(opt.results_path);
    Progress bar(fmt::format("eval {}", d.name), todo.size(), opt.progress && comm.is_root());
    // Rank 0 records the result of todo[k] from its line: the same path as a resumed result.
    auto record = [&](size_t k, const std::string& line) {
      read_result(json::parse(line), d.has_plus, s.results[todo[k]]);
    };
    // One process appends every result as soon as it is judged. A job judges in rounds of
    // kJudgeRoundPerRank samples per rank (a stretch of todo); after each round rank 0 gathers the round's
    // lines and appends them in todo order. So the file is the one a process with one worker writes, and
    // a job stopped during the judging loses only the round in progress.
    const size_t round = comm.distributed() ? kJudgeRoundPerRank * size_t(comm.size()) : todo.size();
    for (size_t first = 0; first < todo.size(); first += round) {
      const size_t last = std::min(todo.size(), first + round);
      std::vector<size_t> mine;  // positions in todo
      for (size_t k = first; k < last; ++k) {
        if (judge[k] == comm.rank()) mine.push_back(k);
      }
      std::vector<std::string> records;  // (position in todo, line) of each result judged here
      run_streaming(
          mine.size(), opt.workers,
          [&](size_t m) {
            const Sample& smp = samples[todo[mine[m]]];
            const Task& t = *d.find(smp.task_id);
            return candidate_request(t, expected.at(t.task_id), smp.program, d.has_plus, opt);
          },
          [&](size_t m, sandbox::TestRunResult&& run) {
            const size_t i = todo[mine[m]];
            const Task& t = *d.find(samples[i].task_id);
            SampleResult r = judge_run(t, expected.at(t.task_id), run, d.has_plus);
            r.sample = s.results[i].sample;
            r.key = s.results[i].key;
            std::string line =
                result_json(r, d.has_plus).dump(-1, ' ', false, json::error_handler_t::replace);
            if (!comm.distributed()) {
              out->line(line);
              record(mine[m], line);
              bar.advance();
              return;
            }
            records.push_back(std::to_string(mine[m]));
            records.push_back(std::move(line));
          });
      if (!comm.distributed()) continue;
      std::string joined;
      for (const std::string& part : comm.gather(dist::pack(records))) joined += part;
      if (!comm.is_root()) continue;
      records = dist::unpack(joined);
      std::vector<std::string> lines(last - first);
      for (size_t r = 0; r + 1 < records.size(); r += 2) {
        const size_t k = std::stoul(records[r]);
        DC_ASSERT(k >= first && k < last && lines[k - first].empty(),
                  "a rank sent a result of another round");
        lines[k - first] = std::move(records[r + 1]);
      }
      std::string text;
      for (size_t k = first; k < last; ++k) {
        DC_ASSERT(!lines[k - first].empty(), "a rank left a sample of its round unjudged");
        record(k, lines[k - first]);
        text += lines[k - first] + "\n";
      }
      out->lines(text);
      bar.advance(last - first);
    }
    bar.finish();
  }
  // The summary is rank 0's.
  if (!comm.is_root()) return s;

  // pass@k over tasks; a task without samples counts as one failed sample.
  std::map<std::string, std::pair<int64_t, std::pair<int64_t, int64_t>>>
      counts;  // id -> (n, (c_base, c_plus))
  for (const auto& r : s.results) {
    auto& c = counts[r.task_id];
    ++c.first;
    c.second.first += r.base_pass;
    c.second.second += r.plus_pass;
    ++s.base_statuses[r.base.status];
    if (d.has_plus) ++s.plus_statuses[r.base_pass ? r.plus.status : "base_failed"];
  }
  for (const auto& t : d.tasks) {
    if (!counts.count(t.task_id)) {
      counts[t.task_id] = {1, {0, 0}};
      ++s.base_statuses["no_sample"];
      if (d.has_plus) ++s.plus_statuses["no_sample"];
    }
  }
  std::vector<int64_t> n, cb, cp;
  for (const auto& [id, c] : counts) {
    n.push_back(c.first);
    cb.push_back(c.second.first);
    cp.push_back(c.second.second);
  }
  s.tasks = d.tasks.size();
  s.samples = samples.size();
  s.n_min = *std::min_element(n.begin(), n.end());
  s.n_max = *std::max_element(n.begin(), n.end());
  s.pass1_base = mean_pass_at_k(n, cb, 1);
  s.pass1_plus = d.has_plus ? mean_pass_at_k(n, cp, 1) : 0.0;
  for (int64_t k : {int64_t(5), int64_t(10), int64_t(100)}) {
    if (k <= s.n_min)
      s.pass_at_k[k] = {mean_pass_at_k(n, cb, k), d.has_plus ? mean_pass_at_k(n, cp, k) : 0.0};
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!opt.summary_path.empty()) write_file_atomic(opt.summary_path, s.to_markdown());
  return s;
}

json Summary::to_json() const {
  json j{{"benchmark", benchmark},
         {"dataset", dataset_path},
         {"dataset_sha256", dataset_sha256},
         {"tasks", tasks},
         {"samples", samples},
         {"n", n_min == n_max ? json(n_min) : json{{"min", n_min}, {"max", n_max}}},
         {"pass_at_1", {{"base", pass1_base}, {"plus", has_plus ? json(pass1_plus) : json(nullptr)}}},
         {"base_statuses", base_statuses},
         {"results", results_path},
         {"resumed", resumed},
         {"seconds", seconds}};
  if (has_plus) j["plus_statuses"] = plus_statuses;
  if (!summary_path.empty()) j["summary"] = summary_path;
  if (n_max > 1) {
    json pk = json::object();
    pk["1"] = j["pass_at_1"];
    for (const auto& [k, v] : pass_at_k) {
      pk[std::to_string(k)] = {{"base", v.first}, {"plus", has_plus ? json(v.second) : json(nullptr)}};
    }
    j["pass_at_k"] = pk;
  }
  return j;
}

std::string Summary::to_markdown() const {
  std::string m = fmt::format("# Evaluation: {}\n\n", benchmark);
  m += fmt::format(
      "- dataset: `{}` (sha256 `{}`)\n- tasks: {}, samples: {} ({} per task)\n- results: `{}`\n\n",
      dataset_path, dataset_sha256.substr(0, 16), tasks, samples,
      n_min == n_max ? std::to_string(n_min) : fmt::format("{}..{}", n_min, n_max), results_path);
  m += "| metric | base | plus |\n|---|---|---|\n";
  auto pct = [](double v) { return fmt::format("{:.1f}", 100.0 * v); };
  m += fmt::format("| pass@1 (%) | {} | {} |\n", pct(pass1_base), has_plus ? pct(pass1_plus) : "-");
  for (const auto& [k, v] : pass_at_k) {
    m += fmt::format("| pass@{} (%) | {} | {} |\n", k, pct(v.first), has_plus ? pct(v.second) : "-");
  }
  m += "\n| status | base | plus |\n|---|---|---|\n";
  std::map<std::string, std::pair<size_t, size_t>> all;
  for (const auto& [k, v] : base_statuses) all[k].first = v;
  for (const auto& [k, v] : plus_statuses) all[k].second = v;
  for (const auto& [k, v] : all)
    m += fmt::format("| {} | {} | {} |\n", k, v.first, has_plus ? std::to_string(v.second) : "-");
  size_t shown = 0;
  std::string failures;
  for (const auto& r : results) {
    bool fail = !r.base_pass || (has_plus && !r.plus_pass);
    if (!fail || shown >= 100) continue;
    ++shown;
    const PartResult& p = r.base_pass ? r.plus : r.base;
    std::string detail = p.detail;
    for (char& c : detail) {
      if (c == '|') c = '/';
    }
    failures += fmt::format("| {} | {} | {} | {} |\n", r.task_id, r.sample, p.status, detail.substr(0, 160));
  }
  if (!failures.empty()) {
    m += "\n## Failures" + std::string(shown >= 100 ? " (first 100)" : "") +
         "\n\n| task | sample | status | first failure |\n|---|---|---|---|\n" + failures;
  }
  m += fmt::format("\nWall time: {:.1f} s ({} samples resumed from an earlier run).\n", seconds, resumed);
  return m;
}

}  // namespace dc::eval
