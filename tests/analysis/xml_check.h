// A strict little XML well-formedness checker for the SVG tests: one root element, properly nested and
// matching tags, double- or single-quoted attributes without duplicates, only the five predefined entities
// and numeric character references, no raw '<' or '&' in text or attributes. It also counts elements by
// name. Enough for what svg.h writes (no comments, CDATA or DOCTYPE); a subset of XML 1.0, not a parser.
#pragma once

#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace dc::analysis::testing {

struct XmlCheck {
  std::string error;                         // empty when well-formed
  std::map<std::string, int> element_count;  // name -> number of elements
  std::string root;
};

inline bool valid_entity(const std::string& s, size_t amp, size_t* end) {
  const size_t semi = s.find(';', amp);
  if (semi == std::string::npos || semi - amp > 10) return false;
  const std::string name = s.substr(amp + 1, semi - amp - 1);
  *end = semi + 1;
  static const std::set<std::string> kNamed = {"amp", "lt", "gt", "quot", "apos"};
  if (kNamed.count(name)) return true;
  if (name.size() >= 2 && name[0] == '#') {
    for (size_t i = 1; i < name.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
    }
    return true;
  }
  return false;
}

// Checks character data between markup (text or an attribute value).
inline bool valid_chars(const std::string& s, size_t begin, size_t end, char quote) {
  for (size_t i = begin; i < end;) {
    const char c = s[i];
    if (c == '<' || c == quote) return false;
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') return false;
    if (c == '&') {
      size_t next = 0;
      if (!valid_entity(s, i, &next) || next > end) return false;
      i = next;
      continue;
    }
    ++i;
  }
  return true;
}

inline bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' || c == '.';
}

inline XmlCheck check_xml(const std::string& s) {
  XmlCheck r;
  auto fail = [&](const std::string& why, size_t at) {
    r.error = why + " at offset " + std::to_string(at);
    return r;
  };
  size_t i = 0;
  if (s.rfind("<?xml", 0) == 0) {
    i = s.find("?>");
    if (i == std::string::npos) return fail("unterminated XML declaration", 0);
    i += 2;
  }
  std::vector<std::string> stack;
  bool root_closed = false;
  while (i < s.size()) {
    const size_t lt = s.find('<', i);
    const size_t text_end = lt == std::string::npos ? s.size() : lt;
    if (!valid_chars(s, i, text_end, '\0')) return fail("bad character data", i);
    if (stack.empty()) {
      for (size_t j = i; j < text_end; ++j) {
        if (!std::isspace(static_cast<unsigned char>(s[j]))) return fail("text outside the root element", j);
      }
    }
    if (lt == std::string::npos) break;
    i = lt + 1;
    if (i < s.size() && s[i] == '/') {  // end tag
      size_t j = i + 1;
      while (j < s.size() && name_char(s[j])) ++j;
      const std::string name = s.substr(i + 1, j - i - 1);
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      if (j >= s.size() || s[j] != '>') return fail("malformed end tag", lt);
      if (stack.empty() || stack.back() != name) return fail("mismatched end tag </" + name + ">", lt);
      stack.pop_back();
      if (stack.empty()) root_closed = true;
      i = j + 1;
      continue;
    }
    if (root_closed) return fail("second root element", lt);
    size_t j = i;
    while (j < s.size() && name_char(s[j])) ++j;
    const std::string name = s.substr(i, j - i);
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
      return fail("bad element name", lt);
    std::set<std::string> attrs;
    bool self_closing = false;
    while (true) {
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      if (j >= s.size()) return fail("unterminated start tag", lt);
      if (s[j] == '>') {
        ++j;
        break;
      }
      if (s[j] == '/' && j + 1 < s.size() && s[j + 1] == '>') {
        self_closing = true;
        j += 2;
        break;
      }
      size_t k = j;
      while (k < s.size() && name_char(s[k])) ++k;
      const std::string attr = s.substr(j, k - j);
      if (attr.empty()) return fail("bad attribute in <" + name + ">", j);
      if (!attrs.insert(attr).second) return fail("duplicate attribute " + attr, j);
      if (k + 1 >= s.size() || s[k] != '=' || (s[k + 1] != '"' && s[k + 1] != '\'')) {
        return fail("attribute " + attr + " without a quoted value", k);
      }
      const char q = s[k + 1];
      const size_t close = s.find(q, k + 2);
      if (close == std::string::npos) return fail("unterminated attribute value", k);
      if (!valid_chars(s, k + 2, close, q)) return fail("bad attribute value of " + attr, k);
      j = close + 1;
      if (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != '>' && s[j] != '/') {
        return fail("no space between attributes", j);
      }
    }
    r.element_count[name] += 1;
    if (r.root.empty()) r.root = name;
    if (!self_closing) stack.push_back(name);
    if (self_closing && stack.empty()) root_closed = true;
    i = j;
  }
  if (!stack.empty()) return fail("unclosed <" + stack.back() + ">", s.size());
  if (r.root.empty()) return fail("no root element", 0);
  return r;
}

}  // namespace dc::analysis::testing
