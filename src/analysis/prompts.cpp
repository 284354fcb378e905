// Benchmark prompt lines (prompts.h): a scanner for the top-level members of one JSON object that decodes
// only string values (through nlohmann::json, which handles every escape) and skips everything else.
#include "analysis/prompts.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace dc::analysis {
namespace {

void skip_space(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
}

// s[i] == '"': returns the end of the string literal (one past the closing quote), or npos.
size_t string_end(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Skips one value of any kind (nested containers, strings, bare tokens); returns its end or npos when the
// brackets do not match.
size_t value_end(std::string_view s, size_t i) {
  if (i < s.size() && s[i] == '"') return string_end(s, i);
  std::string open;  // unclosed brackets
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      i = string_end(s, i);
      if (i == std::string_view::npos) return i;
      --i;
    } else if (c == '[' || c == '{') {
      open += c;
    } else if (c == ']' || c == '}') {
      if (open.empty()) return i;  // the end of the enclosing object
      if (open.back() != (c == ']' ? '[' : '{')) return std::string_view::npos;
      open.pop_back();
      if (open.empty()) return i + 1;
    } else if (c == ',' && open.empty()) {
      return i;
    }
  }
  return open.empty() ? i : std::string_view::npos;
}

std::string decode_string(std::string_view raw, const std::string& where) {
  const nlohmann::json j = nlohmann::json::parse(raw, nullptr, false);
  if (!j.is_string()) throw_error("{}: malformed JSON string", where);
  return j.get<std::string>();
}

}  // namespace

std::vector<PromptTask> parse_prompt_lines(std::string_view text, const std::string& what) {
  std::vector<PromptTask> out;
  size_t begin = 0;
  int64_t line_no = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    ++line_no;
    const std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    size_t i = 0;
    skip_space(line, i);
    if (i == line.size()) continue;
    const std::string where = fmt::format("{}:{}", what, line_no);
    if (line[i] != '{') throw_error("{}: expected a JSON object per line", where);
    ++i;
    PromptTask task;
    bool have_prompt = false;
    while (true) {
      skip_space(line, i);
      if (i < line.size() && line[i] == '}') break;
      if (i >= line.size() || line[i] != '"')
        throw_error("{}: malformed JSON object (expected a key)", where);
      const size_t key_end = string_end(line, i);
      if (key_end == std::string_view::npos) throw_error("{}: unterminated string", where);
      const std::string key = decode_string(line.substr(i, key_end - i), where);
      const size_t i0 = i;
      i = key_end;
      skip_space(line, i);
      if (i >= line.size() || line[i] != ':') throw_error("{}: malformed JSON object (expected ':')", where);
      ++i;
      skip_space(line, i);
      const size_t v_end = value_end(line, i);
      if (v_end == std::string_view::npos || v_end == i) {
        // The key as written (JSON-escaped, so the message stays one line), shortened.
        const std::string_view raw_key = line.substr(i0, std::min<size_t>(key_end - i0, 42));
        throw_error("{}: malformed value of {}", where, raw_key);
      }
      const std::string_view raw = line.substr(i, v_end - i);
      if (key == "prompt" || key == "task_id") {
        if (raw.front() != '"') throw_error("{}: '{}' must be a string", where, key);
        (key == "prompt" ? task.prompt : task.id) = decode_string(raw, where);
        have_prompt = have_prompt || key == "prompt";
      }
      i = v_end;
      skip_space(line, i);
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      if (i < line.size() && line[i] == '}') break;
      throw_error("{}: malformed JSON object (expected ',' or '}}')", where);
    }
    if (!have_prompt) throw_error("{}: no string 'prompt' in the line", where);
    if (task.id.empty()) task.id = where;
    out.push_back(std::move(task));
  }
  if (out.empty()) throw_error("{}: no prompts in the file", what);
  return out;
}

}  // namespace dc::analysis
