// Typed config.json field readers (see config_fields.h).
#include "model/config_fields.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "core/error.h"
#include "model/config.h"
#include "model/json_checks.h"

namespace dc {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower((unsigned char)x) == std::tolower((unsigned char)y);
         });
}

int64_t get_int(const json& j, const char* key, const std::string& source, const int64_t* fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (fallback) return *fallback;
    throw_error("{}: missing required field '{}'", source, key);
  }
  if (it->is_number_unsigned()) {
    uint64_t u = it->get<uint64_t>();
    if (u > uint64_t(std::numeric_limits<int64_t>::max()))
      throw_error("{}: '{}' is out of range", source, key);
    return int64_t(u);
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  throw_error("{}: '{}' must be an integer, got {}", source, key, json_type_name(*it));
}

double get_double(const json& j, const char* key, const std::string& source, double fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number()) throw_error("{}: '{}' must be a number, got {}", source, key, json_type_name(*it));
  return it->get<double>();
}

bool get_bool(const json& j, const char* key, const std::string& source, bool fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    throw_error("{}: '{}' must be true or false, got {}", source, key, json_type_name(*it));
  return it->get<bool>();
}

int32_t get_token_id(const json& j, const char* key, const std::string& source) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return -1;
  const json* v = &*it;
  if (v->is_array()) {
    if (v->empty()) return -1;
    v = &(*v)[0];
  }
  if (!v->is_number_integer() && !v->is_number_unsigned())
    throw_error("{}: '{}' must be an integer token id, got {}", source, key, json_type_name(*v));
  if (v->is_number_unsigned()
          ? v->get<uint64_t>() > uint64_t(std::numeric_limits<int32_t>::max())
          : (v->get<int64_t>() < 0 || v->get<int64_t>() > std::numeric_limits<int32_t>::max()))
    throw_error("{}: '{}' must be a non-negative 32-bit token id", source, key);
  return int32_t(v->get<int64_t>());
}

void check_range(int64_t v, const char* key, int64_t max, const std::string& source) {
  if (v <= 0 || v > max) throw_error("{}: '{}' must be in [1, {}], got {}", source, key, max, v);
}

std::string get_string(const json& j, const char* key, const std::string& source,
                       const std::string& fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw_error("{}: '{}' must be a string, got {}", source, key, json_type_name(*it));
  return it->get<std::string>();
}

void write_common_fields(json& j, const ModelConfig& c) {
  auto id = [](int32_t v) { return v < 0 ? json(nullptr) : json(v); };
  j["mask_token_id"] = id(c.mask_token_id);
  j["pad_token_id"] = id(c.pad_token_id);
  j["bos_token_id"] = id(c.bos_token_id);
  j["eos_token_id"] = id(c.eos_token_id);
  if (!c.torch_dtype.empty()) j["torch_dtype"] = c.torch_dtype;
}

}  // namespace dc
