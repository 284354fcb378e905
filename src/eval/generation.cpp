#include "eval/generation.h"

#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
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

std::vector<Sample> generate_samples(const Dataset& d, const CompleteFn& complete,
                                     const GenerateSamplesOptions& opt) {
  if (opt.samples_path.empty()) throw_error("generate_samples: no samples file given");
  if (opt.n < 1) throw_error("--n must be at least 1, got {}", opt.n);
  // What an earlier run produced: (sample, task) -> program.
  std::map<std::pair<int, std::string>, std::string> have;
  if (std::ifstream in(opt.samples_path); in) {
    std::string line;
    while (std::getline(in, line)) {
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("task_id") || !j.contains("solution")) continue;
      if (!j["task_id"].is_string() || !j["solution"].is_string() || !d.find(j["task_id"].get<std::string>()))
        continue;
      have[{j.value("sample", 0), j["task_id"].get<std::string>()}] = j["solution"].get<std::string>();
    }
  }
  size_t missing = 0;
  for (int s = 0; s < opt.n; ++s) {
    for (const auto& t : d.tasks) missing += !have.count({s, t.task_id});
  }
  if (missing > 0) {
    AppendFile file(opt.samples_path);
    Progress bar(fmt::format("generate {}", d.name), missing, opt.progress);
    {
      for (int s = 0; s < opt.n; ++s) {
        std::vector<const Task*> todo;
        for (const auto& t : d.tasks) {
          if (!have.count({s, t.task_id})) todo.push_back(&t);
        }
        size_t step = opt.tasks_per_call ? opt.tasks_per_call : std::max<size_t>(todo.size(), 1);
        for (size_t b = 0; b < todo.size(); b += step) {
          std::vector<PromptRequest> reqs;
          for (size_t i = b; i < std::min(todo.size(), b + step); ++i)
            reqs.push_back(eval_prompt(*todo[i], opt.chat));
          std::vector<std::string> answers = complete(reqs, s);
          if (answers.size() != reqs.size())
            throw_error("the generator returned {} answers for {} prompts", answers.size(), reqs.size());
          std::vector<SanitizeRequest> programs;
          for (size_t i = 0; i < reqs.size(); ++i) {
            programs.push_back(
                {program_from_answer(*todo[b + i], answers[i], opt.chat), todo[b + i]->entry_point});
          }
          std::vector<std::string> sanitized = opt.chat ? sanitize(programs) : std::vector<std::string>{};
          std::string lines;
          for (size_t i = 0; i < reqs.size(); ++i) {
            const Task& t = *todo[b + i];
            const std::string& program = opt.chat ? sanitized[i] : programs[i].code;
            lines +=
                json{{"task_id", t.task_id}, {"sample", s}, {"completion", answers[i]}, {"solution", program}}
                    .dump(-1, ' ', false, json::error_handler_t::replace) +
                "\n";
            have[{s, t.task_id}] = program;
          }
          file.lines(lines);
          bar.advance(reqs.size());
        }
      }
    }
    bar.finish();
  }
  std::vector<Sample> out;
  for (int s = 0; s < opt.n; ++s) {
    for (const auto& t : d.tasks) out.push_back({t.task_id, have.at({s, t.task_id})});
  }
  return out;
}

}  // namespace dc::eval
