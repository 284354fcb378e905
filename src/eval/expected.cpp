#include "eval/expected.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "eval/append_file.h"
#include "eval/harness.h"
#include "eval/progress.h"
#include "eval/runner.h"

namespace dc::eval {

namespace fs = std::filesystem;
using nlohmann::json;

std::string default_cache_dir() {
  if (const char* e = std::getenv("DIFFUCODER_CACHE_DIR"); e && *e) return e;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return (fs::path(x) / "diffucoder" / "expected").string();
  const char* home = std::getenv("HOME");
  return (fs::path(home && *home ? home : "/tmp") / ".cache" / "diffucoder" / "expected").string();
}

std::string expected_cache_path(const Dataset& d, const std::string& cache_dir) {
  std::string dir = cache_dir.empty() ? default_cache_dir() : cache_dir;
  return (fs::path(dir) / fmt::format("{}-v{}.jsonl", d.sha256, kHarnessVersion)).string();
}

std::string reference_program(const Task& t) {
  return t.prompt + t.canonical_solution;
}

namespace {

struct Part {
  const Task* task;
  bool plus;
};

json to_json(const ExpectedOutput& e) {
  if (!e.ok) return json{{"ok", false}, {"error", e.error}};
  return json{{"ok", true}, {"seconds", e.seconds}, {"out", json::parse(e.out)}, {"aux", json::parse(e.aux)}};
}

ExpectedOutput from_json(const json& j) {
  ExpectedOutput e;
  e.ok = j.value("ok", false);
  if (!e.ok) {
    e.error = j.value("error", std::string("unknown"));
    return e;
  }
  e.seconds = j.value("seconds", 0.0);
  e.out = j.at("out").dump();
  e.aux = j.contains("aux") ? j.at("aux").dump() : "null";
  return e;
}

// One reference test's result, from the sandbox's report.
ExpectedOutput reference_result(const sandbox::TestRunResult& run, size_t i) {
  ExpectedOutput e;
  const auto& t = run.tests[i];
  if (run.program_status != sandbox::Status::Ok && run.program_status != sandbox::Status::Timeout &&
      t.status == sandbox::Status::NotRun) {
    e.error =
        fmt::format("reference program: {} {}", sandbox::status_name(run.program_status), run.program_error);
    return e;
  }
  if (t.status != sandbox::Status::Ok) {
    e.error = fmt::format("{}: {}", sandbox::status_name(t.status), t.output.substr(0, 200));
    return e;
  }
  json j = json::parse(t.output, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("out")) {
    e.error = "malformed reference output";
    return e;
  }
  e.ok = true;
  e.seconds = j.value("seconds", 0.0);
  e.out = j["out"].dump();
  e.aux = j.contains("aux") ? j["aux"].dump() : "null";
  return e;
}

}  // namespace

std::map<std::string, TaskExpected> load_expected(const Dataset& d, const ExpectedOptions& opt) {
  std::map<std::string, TaskExpected> out;
  std::string path = expected_cache_path(d, opt.cache_dir);
  // Parts that are known without running anything: assert / check tests expect True.
  auto runs_reference = [](TestKind k) { return k == TestKind::Io || k == TestKind::Expr; };
  std::map<std::pair<std::string, bool>, bool> have;
  for (const auto& t : d.tasks) {
    if (runs_reference(t.kind)) continue;
    auto& te = out[t.task_id];
    ExpectedOutput yes;
    yes.ok = true;
    yes.out = "true";
    yes.aux = "null";
    te.base.assign(t.base_inputs.size(), yes);
    te.plus.assign(t.plus_inputs.size(), yes);
    have[{t.task_id, false}] = have[{t.task_id, true}] = true;
  }
  // Read the cache; a line that does not parse (an interrupted write) is skipped.
  if (std::ifstream in(path); in) {
    std::string line;
    while (std::getline(in, line)) {
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) continue;
      std::string id = j.value("task_id", std::string());
      bool plus = j.value("part", std::string()) == "plus";
      const Task* t = d.find(id);
      if (!t || !runs_reference(t->kind) || have.count({id, plus}) || !j.contains("tests")) continue;
      size_t want = plus ? t->plus_inputs.size() : t->base_inputs.size();
      if (!j["tests"].is_array() || j["tests"].size() != want) continue;
      std::vector<ExpectedOutput> v;
      for (const auto& e : j["tests"]) v.push_back(from_json(e));
      (plus ? out[id].plus : out[id].base) = std::move(v);
      have[{id, plus}] = true;
    }
  }
  std::vector<Part> todo;
  for (const auto& t : d.tasks) {
    if (!have.count({t.task_id, false})) todo.push_back({&t, false});
    if (!have.count({t.task_id, true})) {
      if (t.plus_inputs.empty()) {
        out[t.task_id].plus.clear();
      } else {
        todo.push_back({&t, true});
      }
    }
  }
  if (todo.empty()) return out;
  // Most inputs first, so that a long task does not start last and keep one worker busy alone.
  std::stable_sort(todo.begin(), todo.end(), [](const Part& a, const Part& b) {
    auto size = [](const Part& p) {
      return p.plus ? p.task->plus_inputs.size() : p.task->base_inputs.size();
    };
    return size(a) > size(b);
  });

  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  AppendFile cache(path);
  Progress bar(fmt::format("expected outputs ({})", d.name), todo.size(), opt.progress);
  size_t failed_tests = 0;
  std::string first_failure;
  run_streaming(
      todo.size(), opt.workers,
      [&](size_t i) {
        const Part& p = todo[i];
        const Task& t = *p.task;
        bool literal = p.plus ? !t.plus_outputs.empty() : !t.base_outputs.empty();
        sandbox::TestRunRequest req;
        HarnessParams hp = harness_params(t, true);
        hp.literal = literal;
        req.harness = harness_source(hp);
        req.program = literal ? "" : reference_program(t);
        req.inputs =
            literal ? (p.plus ? t.plus_outputs : t.base_outputs) : (p.plus ? t.plus_inputs : t.base_inputs);
        req.per_test_seconds.assign(req.inputs.size(), opt.test_seconds);
        req.stop_at_first_failure = false;
        req.limits.wall_seconds = 60;
        req.limits.memory_bytes = 8ull << 30;
        req.limits.output_bytes = 64ull << 20;
        req.limits.file_bytes = 64ull << 20;
        req.use_namespaces = opt.use_namespaces;
        return req;
      },
      [&](size_t i, sandbox::TestRunResult&& run) {
        const Part& p = todo[i];
        std::vector<ExpectedOutput> v;
        bool all_ok = true;
        for (size_t k = 0; k < run.tests.size(); ++k) {
          v.push_back(reference_result(run, k));
          if (!v.back().ok) {
            all_ok = false;
            if (failed_tests++ == 0) {
              first_failure = fmt::format("{} {} test {}: {}", p.task->task_id, p.plus ? "plus" : "base", k,
                                          v.back().error);
            }
          }
        }
        if (all_ok) {
          json line{
              {"task_id", p.task->task_id}, {"part", p.plus ? "plus" : "base"}, {"tests", json::array()}};
          for (const auto& e : v) line["tests"].push_back(to_json(e));
          cache.line(line.dump());
        }
        (p.plus ? out[p.task->task_id].plus : out[p.task->task_id].base) = std::move(v);
        bar.advance();
      });
  bar.finish();
  if (failed_tests > 0) {
    std::fprintf(stderr,
                 "warning: %s: the canonical solution failed %zu test(s), e.g. %s; they count as failed\n",
                 d.name.c_str(), failed_tests, first_failure.c_str());
  }
  return out;
}

}  // namespace dc::eval
