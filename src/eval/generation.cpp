#include "eval/generation.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "dist/fault_injection.h"
#include "dist/records.h"
#include "eval/append_file.h"
#include "eval/progress.h"
#include "eval/sanitize.h"

namespace dc::eval {

using nlohmann::json;

namespace {

constexpr const char* kAssistantPrefix = "Here is the code to solve this problem:\n```python\n";

std::string strip(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// The task prompt's top-level import lines.
std::string prompt_imports(const std::string& prompt) {
  std::string out;
  size_t pos = 0;
  while (pos < prompt.size()) {
    size_t nl = prompt.find('\n', pos);
    if (nl == std::string::npos) nl = prompt.size();
    std::string line = prompt.substr(pos, nl - pos);
    if (line.rfind("import ", 0) == 0 || line.rfind("from ", 0) == 0) out += line + "\n";
    pos = nl + 1;
  }
  return out;
}

bool defines(const std::string& code, const std::string& name) {
  for (const char* kw : {"def ", "class "}) {
    std::string pat = std::string(kw) + name;
    for (size_t p = code.find(pat); p != std::string::npos; p = code.find(pat, p + 1)) {
      size_t after = p + pat.size();
      bool word_end = after >= code.size() || !(std::isalnum(uint8_t(code[after])) || code[after] == '_');
      if (word_end) return true;
    }
  }
  return false;
}

// One batch of one pass: `sample` is the pass (0..n-1).
struct Batch {
  int sample = 0;
  std::vector<const Task*> tasks;
};

// DIFFUCODER_FAULT_KILL="RANK:BATCH" (test-only, dist/fault_injection.h): this rank stops before batch
// `batch`.
void stop_here_for_tests(const dist::Comm& comm, size_t batch) {
  if (dist::fault_here(dist::fault_kill_from_env(), comm.rank(), int64_t(batch)))
    throw_error("DIFFUCODER_FAULT_KILL: rank {} stopped before generation batch {} (test-only)", comm.rank(),
                batch);
}

}  // namespace

PromptRequest eval_prompt(const Task& task, bool chat) {
  PromptRequest r;
  r.chat = chat;
  if (!chat) {
    r.prompt = task.prompt;
    return r;
  }
  bool mbpp = task.task_id.rfind("Mbpp/", 0) == 0;
  r.prompt =
      (mbpp ? "```\n" : "Please complete the following problem:\n```\n") + strip(task.prompt) + "\n```\n";
  r.assistant_prefix = kAssistantPrefix;
  return r;
}

std::string program_from_answer(const Task& task, const std::string& answer, bool chat) {
  if (!chat) return task.prompt + answer;
  std::string code = extract_code(std::string("```python\n") + answer);
  if (!defines(code, task.entry_point)) return task.prompt + code;
  return prompt_imports(task.prompt) + code;
}

namespace {

// Generates one batch. Two records per task, in the batch's order: its line of the samples file (with
// the newline) and its program (the exact bytes; the line's JSON replaces invalid UTF-8).
std::vector<std::string> generate_batch(const Batch& batch, const CompleteFn& complete, bool chat) {
  std::vector<PromptRequest> reqs;
  for (const Task* t : batch.tasks) reqs.push_back(eval_prompt(*t, chat));
  std::vector<std::string> answers = complete(reqs, batch.sample);
  if (answers.size() != reqs.size())
    throw_error("the generator returned {} answers for {} prompts", answers.size(), reqs.size());
  std::vector<SanitizeRequest> programs;
  for (size_t i = 0; i < reqs.size(); ++i)
    programs.push_back({program_from_answer(*batch.tasks[i], answers[i], chat), batch.tasks[i]->entry_point});
  std::vector<std::string> sanitized = chat ? sanitize(programs) : std::vector<std::string>{};
  std::vector<std::string> records;
  for (size_t i = 0; i < reqs.size(); ++i) {
    std::string& program = chat ? sanitized[i] : programs[i].code;
    records.push_back(json{{"task_id", batch.tasks[i]->task_id},
                           {"sample", batch.sample},
                           {"completion", answers[i]},
                           {"solution", program}}
                          .dump(-1, ' ', false, json::error_handler_t::replace) +
                      "\n");
    records.push_back(std::move(program));
  }
  return records;
}

}  // namespace

std::vector<Sample> generate_samples(const Dataset& d, const CompleteFn& complete,
                                     const GenerateSamplesOptions& opt) {
  if (opt.samples_path.empty()) throw_error("generate_samples: no samples file given");
  if (opt.n < 1) throw_error("--n must be at least 1, got {}", opt.n);
  const dist::Comm& comm = opt.comm;
  // What an earlier run produced: (sample, task) -> program. Rank 0 reads the file (it alone appends to it
  // below) and every rank parses the same bytes.
  std::string earlier;
  if (comm.is_root()) {
    if (std::ifstream in(opt.samples_path, std::ios::binary); in) {
      std::ostringstream text;
      text << in.rdbuf();
      earlier = std::move(text).str();
    }
  }
  comm.broadcast(earlier);
  std::map<std::pair<int, std::string>, std::string> have;
  std::istringstream lines_in(earlier);
  for (std::string line; std::getline(lines_in, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("task_id") || !j.contains("solution")) continue;
    if (!j["task_id"].is_string() || !j["solution"].is_string() || !d.find(j["task_id"].get<std::string>()))
      continue;
    have[{j.value("sample", 0), j["task_id"].get<std::string>()}] = j["solution"].get<std::string>();
  }

  // The run's batches, in order: each pass's missing tasks, tasks_per_call at a time.
  std::vector<Batch> batches;
  size_t missing = 0;
  for (int s = 0; s < opt.n; ++s) {
    std::vector<const Task*> todo;
    for (const auto& t : d.tasks) {
      if (!have.count({s, t.task_id})) todo.push_back(&t);
    }
    missing += todo.size();
    const size_t step = opt.tasks_per_call ? opt.tasks_per_call : std::max<size_t>(todo.size(), 1);
    for (size_t b = 0; b < todo.size(); b += step) {
      batches.push_back(
          {s, std::vector<const Task*>(todo.begin() + ptrdiff_t(b),
                                       todo.begin() + ptrdiff_t(std::min(todo.size(), b + step)))});
    }
  }

  // Rounds of one batch per rank. After each round rank 0 appends the round's lines in batch order, and
  // every rank learns the round's programs. So the samples file stays the run's only record, line for
  // line what one process writes, and a job stopped anywhere resumes from it with any number of ranks
  // (the round in progress is lost and generated again). Rank-local part files would spare the wait for
  // the round's slowest batch, but batches of equal size take about equal time, and part files would
  // have to be merged, also after a resume with another rank count.
  std::map<std::pair<int, std::string>, int> generated_by;
  if (!batches.empty()) {
    std::optional<AppendFile> file;
    if (comm.is_root()) file.emplace(opt.samples_path);
    Progress bar(fmt::format("generate {}", d.name), missing, opt.progress && comm.is_root());
    const size_t ranks = size_t(comm.size());
    for (size_t first = 0; first < batches.size(); first += ranks) {
      const size_t mine = first + size_t(comm.rank());
      std::vector<std::string> records;
      if (mine < batches.size()) {
        stop_here_for_tests(comm, mine);
        records = generate_batch(batches[mine], complete, opt.chat);
      }
      // The round's records in batch order, on every rank.
      std::string round = dist::pack(records);
      if (comm.distributed()) {
        std::string joined;
        for (const std::string& part : comm.gather(round)) joined += part;
        round = std::move(joined);
        comm.broadcast(round);
      }
      records = dist::unpack(round);
      std::string lines;
      size_t r = 0;
      for (size_t j = first; j < std::min(batches.size(), first + ranks); ++j) {
        for (const Task* t : batches[j].tasks) {
          DC_ASSERT(r + 1 < records.size(), "a rank sent fewer records than its batch has tasks");
          lines += records[r];
          have[{batches[j].sample, t->task_id}] = std::move(records[r + 1]);
          generated_by[{batches[j].sample, t->task_id}] = int(j % ranks);
          r += 2;
        }
      }
      DC_ASSERT(r == records.size(), "a rank sent more records than its batch has tasks");
      if (file) file->lines(lines);
      bar.advance(r / 2);
    }
    bar.finish();
  }
  std::vector<Sample> out;
  for (int s = 0; s < opt.n; ++s) {
    for (const auto& t : d.tasks) {
      auto by = generated_by.find({s, t.task_id});
      out.push_back({t.task_id, have.at({s, t.task_id}), by == generated_by.end() ? -1 : by->second});
    }
  }
  return out;
}

}  // namespace dc::eval
