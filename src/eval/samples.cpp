#include "eval/samples.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/lines.h"
#include "eval/gzip_file.h"
#include "eval/json_raw.h"

namespace dc::eval {

std::string extract_code(const std::string& text) {
  size_t pos = 0;
  size_t first_fence = std::string::npos;
  while ((pos = text.find("```", pos)) != std::string::npos) {
    if (first_fence == std::string::npos) first_fence = pos;
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string lang = text.substr(pos + 3, eol - pos - 3);
    while (!lang.empty() && (lang.back() == ' ' || lang.back() == '\r')) lang.pop_back();
    if (lang == "python" || lang == "py" || lang == "python3" || lang.empty()) {
      size_t start = std::min(eol + 1, text.size());
      size_t end = text.find("```", start);
      return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    }
    pos = eol;  // a block in another language: look for the next fence
  }
  if (first_fence != std::string::npos) return text.substr(0, first_fence);
  return text;
}

std::string program_from_completion(const Task& task, const std::string& completion) {
  if (completion.find("```") != std::string::npos) return extract_code(completion);
  return task.prompt + completion;
}

std::string program_from_solution(const std::string& solution) {
  if (solution.find("```") != std::string::npos) return extract_code(solution);
  return solution;
}

std::vector<Sample> load_samples(const std::string& path, const Dataset& d) {
  std::string text = read_maybe_gzip(path);
  std::vector<Sample> out;
  for_each_nonblank_line(text, [&](std::string_view line, int line_no) {
    std::string where = fmt::format("{}:{}", path, line_no);
    std::string task_id, solution, completion;
    bool has_solution = false, has_completion = false;
    for (const auto& [k, v] : json_raw::object_members(line, where)) {
      if (k == "task_id") {
        task_id = json_raw::decode_string(v, where);
      } else if (k == "solution" && v != "null") {
        solution = json_raw::decode_string(v, where);
        has_solution = true;
      } else if (k == "completion" && v != "null") {
        completion = json_raw::decode_string(v, where);
        has_completion = true;
      }
    }
    if (task_id.empty()) throw_error("{}: missing \"task_id\"", where);
    const Task* t = d.find(task_id);
    if (!t) throw_error("{}: task '{}' is not in {}", where, task_id, d.name);
    if (!has_solution && !has_completion) throw_error("{}: needs \"solution\" or \"completion\"", where);
    out.push_back(
        {task_id, has_solution ? program_from_solution(solution) : program_from_completion(*t, completion)});
  });
  if (out.empty()) throw_error("{}: no samples", path);
  return out;
}

}  // namespace dc::eval
