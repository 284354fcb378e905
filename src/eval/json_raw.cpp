#include "eval/json_raw.h"

#include <cstdlib>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace dc::eval::json_raw {

namespace {

constexpr size_t kMaxDepth = 10000;

void skip_ws(std::string_view s, size_t& pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) ++pos;
}

// Skips a string literal starting at the opening quote.
void skip_string(std::string_view s, size_t& pos, const std::string& where) {
  size_t start = pos++;
  while (pos < s.size()) {
    char c = s[pos];
    if (c == '"') {
      ++pos;
      return;
    }
    if (c == '\\') ++pos;
    ++pos;
  }
  throw_error("{}: unterminated JSON string at byte {}", where, start);
}

// Skips `"key" :` inside an object.
void expect_key(std::string_view s, size_t& pos, const std::string& where) {
  skip_ws(s, pos);
  if (pos >= s.size() || s[pos] != '"') throw_error("{}: object key expected at byte {}", where, pos);
  skip_string(s, pos, where);
  skip_ws(s, pos);
  if (pos >= s.size() || s[pos] != ':') throw_error("{}: ':' expected at byte {}", where, pos);
  ++pos;
}

bool is_scalar_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '+' ||
         c == '.';
}

}  // namespace

std::string_view value_at(std::string_view s, size_t& pos, const std::string& where) {
  skip_ws(s, pos);
  if (pos >= s.size()) throw_error("{}: JSON value expected at byte {}", where, pos);
  size_t start = pos;
  // Brackets are matched with an explicit stack: nesting depth never grows the C++ stack.
  std::vector<char> stack;
  while (true) {
    skip_ws(s, pos);
    if (pos >= s.size()) throw_error("{}: unexpected end of JSON text", where);
    char c = s[pos];
    if (c == '"') {
      skip_string(s, pos, where);
    } else if (c == '[' || c == '{') {
      if (stack.size() >= kMaxDepth) throw_error("{}: JSON nested deeper than {}", where, kMaxDepth);
      stack.push_back(c == '[' ? ']' : '}');
      ++pos;
      skip_ws(s, pos);
      if (pos < s.size() && s[pos] == stack.back()) {
        ++pos;
        stack.pop_back();
      } else {
        if (c == '{') expect_key(s, pos, where);
        continue;
      }
    } else if (is_scalar_char(c)) {
      size_t b = pos;
      while (pos < s.size() && is_scalar_char(s[pos])) ++pos;
      std::string_view tok = s.substr(b, pos - b);
      bool number = (tok[0] >= '0' && tok[0] <= '9') || tok[0] == '-';
      if (!number && tok != "true" && tok != "false" && tok != "null" && tok != "NaN" && tok != "Infinity") {
        throw_error("{}: bad JSON token '{}' at byte {}", where, tok.substr(0, 32), b);
      }
    } else {
      throw_error("{}: unexpected '{}' in JSON at byte {}", where, c, pos);
    }
    // After a complete value: close containers or expect the next member / item.
    while (true) {
      if (stack.empty()) return s.substr(start, pos - start);
      skip_ws(s, pos);
      if (pos >= s.size()) throw_error("{}: unexpected end of JSON text", where);
      if (s[pos] == stack.back()) {
        ++pos;
        stack.pop_back();
        continue;
      }
      if (s[pos] != ',') throw_error("{}: ',' expected in JSON at byte {}", where, pos);
      ++pos;
      break;
    }
    if (stack.back() == '}') expect_key(s, pos, where);
  }
}

std::vector<std::pair<std::string, std::string_view>> object_members(std::string_view s,
                                                                     const std::string& where) {
  std::vector<std::pair<std::string, std::string_view>> out;
  size_t pos = 0;
  skip_ws(s, pos);
  if (pos >= s.size() || s[pos] != '{') throw_error("{}: JSON object expected", where);
  ++pos;
  skip_ws(s, pos);
  if (pos < s.size() && s[pos] == '}') return out;
  while (true) {
    skip_ws(s, pos);
    if (pos >= s.size() || s[pos] != '"') throw_error("{}: object key expected at byte {}", where, pos);
    std::string key = decode_string(value_at(s, pos, where), where);
    skip_ws(s, pos);
    if (pos >= s.size() || s[pos] != ':') throw_error("{}: ':' expected at byte {}", where, pos);
    ++pos;
    out.emplace_back(std::move(key), value_at(s, pos, where));
    skip_ws(s, pos);
    if (pos < s.size() && s[pos] == ',') {
      ++pos;
      continue;
    }
    if (pos < s.size() && s[pos] == '}') break;
    throw_error("{}: ',' or '}}' expected at byte {}", where, pos);
  }
  ++pos;
  skip_ws(s, pos);
  if (pos != s.size()) throw_error("{}: trailing characters after the JSON object", where);
  return out;
}

std::vector<std::string_view> array_items(std::string_view s, const std::string& where) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  skip_ws(s, pos);
  if (pos >= s.size() || s[pos] != '[') throw_error("{}: JSON array expected", where);
  ++pos;
  skip_ws(s, pos);
  if (pos < s.size() && s[pos] == ']') return out;
  while (true) {
    out.push_back(value_at(s, pos, where));
    skip_ws(s, pos);
    if (pos < s.size() && s[pos] == ',') {
      ++pos;
      continue;
    }
    if (pos < s.size() && s[pos] == ']') break;
    throw_error("{}: ',' or ']' expected at byte {}", where, pos);
  }
  return out;
}

std::string decode_string(std::string_view raw, const std::string& where) {
  auto j = nlohmann::json::parse(raw, nullptr, false);
  if (!j.is_string()) throw_error("{}: JSON string expected, got '{}'", where, raw.substr(0, 40));
  return j.get<std::string>();
}

double decode_number(std::string_view raw, const std::string& where) {
  if (raw == "NaN") return std::nan("");
  if (raw == "Infinity") return HUGE_VAL;
  if (raw == "-Infinity") return -HUGE_VAL;
  std::string t(raw);
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !(t[0] == '-' || (t[0] >= '0' && t[0] <= '9'))) {
    throw_error("{}: number expected, got '{}'", where, raw.substr(0, 40));
  }
  return v;
}

}  // namespace dc::eval::json_raw
