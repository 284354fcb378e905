#include "rl/task.h"

#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/lines.h"
#include "eval/generation.h"
#include "eval/gzip_file.h"

namespace dc::rl {

namespace {

using nlohmann::json;

// An assert-list line: {"question": str, "tests": [str, ...], "id"?: str | number}.
AssertTask parse_assert_line(std::string_view line, const std::string& path, int line_no) {
  std::string where = fmt::format("{}:{}", path, line_no);
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded()) throw_error("{}: malformed JSON line", where);
  if (!j.is_object()) throw_error("{}: not a JSON object", where);
  AssertTask t;
  if (j.contains("id") && j["id"].is_string()) {
    t.id = j["id"].get<std::string>();
  } else if (j.contains("id") && j["id"].is_number()) {
    t.id = j["id"].dump();
  } else if (j.contains("id") && !j["id"].is_null()) {
    throw_error("{}: \"id\" must be a string or a number", where);
  } else {
    t.id = fmt::format("line-{}", line_no);
  }
  t.where = fmt::format("{} ({})", where, t.id);
  if (!j.contains("question") || !j["question"].is_string()) throw_error("{}: missing \"question\"", t.where);
  t.question = j["question"].get<std::string>();
  if (!j.contains("tests") || !j["tests"].is_array()) throw_error("{}: missing \"tests\" list", t.where);
  for (const auto& test : j["tests"]) {
    if (!test.is_string()) throw_error("{}: every test must be a string", t.where);
    t.tests.push_back(test.get<std::string>());
  }
  if (t.tests.empty()) throw_error("{}: the task has no tests", t.where);
  return t;
}

bool is_assert_list(std::string_view first_line) {
  json j = json::parse(first_line, nullptr, false);
  return j.is_object() && j.contains("question");
}

}  // namespace

std::vector<RlTask> assert_tasks(const std::vector<AssertTask>& tasks, sandbox::Pool& pool,
                                 const ConvertOptions& opt) {
  std::vector<AssertSource> sources;
  for (const auto& t : tasks) sources.push_back({t.where, t.tests});
  std::vector<std::vector<ConvertedAssert>> converted = convert_asserts(sources, pool, opt);
  std::vector<RlTask> out;
  for (size_t i = 0; i < tasks.size(); ++i) {
    RlTask r;
    r.id = tasks[i].id;
    r.question = tasks[i].question;
    r.task.task_id = r.id;
    r.task.prompt = r.question;
    r.task.kind = eval::TestKind::Expr;
    for (size_t k = 0; k < converted[i].size(); ++k) {
      r.task.base_inputs.push_back(converted[i][k].expr);
      r.expected.push_back(converted[i][k].expected);
      r.tolerance.push_back(converted[i][k].tolerance);
      r.labels.push_back(tasks[i].tests[k]);
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<RlTask> dataset_tasks(const eval::Dataset& d, const std::vector<int>& lines, sandbox::Pool& pool,
                                  const TaskLoadOptions& opt) {
  auto where = [&](size_t i) {
    return fmt::format("{}:{} ({})", d.path, i < lines.size() ? lines[i] : int(i + 1), d.tasks[i].task_id);
  };
  // Io tasks get their expected outputs from eval's cache (computed from the given outputs or the
  // canonical solution); assert tasks are converted; check functions cannot be judged in the host.
  eval::Dataset io = d;
  io.tasks.clear();
  std::vector<AssertTask> asserts;
  for (size_t i = 0; i < d.tasks.size(); ++i) {
    const eval::Task& t = d.tasks[i];
    if (t.kind == eval::TestKind::Io) {
      io.tasks.push_back(t);
    } else if (t.kind == eval::TestKind::Assert) {
      asserts.push_back({t.task_id, t.prompt, where(i), t.base_inputs});
    } else {
      throw_error("{}: its tests are a `check` function, which cannot be judged in the host process",
                  where(i));
    }
  }
  std::map<std::string, eval::TaskExpected> expected;
  if (!io.tasks.empty()) expected = eval::load_expected(io, opt.expected);
  std::vector<RlTask> converted = assert_tasks(asserts, pool, opt.convert);

  std::vector<RlTask> out;
  size_t next_assert = 0;
  for (size_t i = 0; i < d.tasks.size(); ++i) {
    const eval::Task& t = d.tasks[i];
    if (t.kind != eval::TestKind::Io) {
      out.push_back(std::move(converted[next_assert++]));
      continue;
    }
    RlTask r;
    r.id = t.task_id;
    // Posed as the eval harness poses it (eval_prompt, chat), without the pre-filled assistant turn: the
    // policy writes the whole answer, python block included, which the format reward judges.
    r.question = eval::eval_prompt(t, /*chat=*/true).prompt;
    r.task = t;
    r.task.base_inputs.insert(r.task.base_inputs.end(), t.plus_inputs.begin(), t.plus_inputs.end());
    r.task.plus_inputs.clear();
    r.task.base_outputs.clear();
    r.task.plus_outputs.clear();
    const eval::TaskExpected& te = expected.at(t.task_id);
    r.expected = te.base;
    r.expected.insert(r.expected.end(), te.plus.begin(), te.plus.end());
    DC_ASSERT(r.expected.size() == r.task.base_inputs.size());
    for (size_t k = 0; k < r.expected.size(); ++k) {
      if (!r.expected[k].ok) {
        throw_error("{}: test {} has no expected output ({})", where(i), k, r.expected[k].error);
      }
      r.labels.push_back(fmt::format("{}({})", t.entry_point,
                                     r.task.base_inputs[k].size() >= 2
                                         ? r.task.base_inputs[k].substr(1, r.task.base_inputs[k].size() - 2)
                                         : r.task.base_inputs[k]));
    }
    r.tolerance.assign(r.expected.size(), CaseTolerance{});
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<RlTask> load_rl_tasks(const std::string& path, const TaskLoadOptions& opt) {
  std::string text = eval::read_maybe_gzip(path);
  std::string_view first;
  std::vector<int> lines;
  for_each_nonblank_line(text, [&](std::string_view line, int line_no) {
    if (lines.empty()) first = line;
    lines.push_back(line_no);
  });
  if (lines.empty()) throw_error("{}: no tasks", path);
  sandbox::Pool pool(opt.workers);
  if (!is_assert_list(first)) return dataset_tasks(eval::load_dataset(path), lines, pool, opt);
  std::vector<AssertTask> tasks;
  for_each_nonblank_line(text, [&](std::string_view line, int line_no) {
    tasks.push_back(parse_assert_line(line, path, line_no));
  });
  return assert_tasks(tasks, pool, opt.convert);
}

}  // namespace dc::rl
