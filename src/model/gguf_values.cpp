// GgufFile's typed metadata getters: decoding GgufValue bytes (see gguf.h).
#include <cstring>
#include <limits>

#include "core/error.h"
#include "model/gguf.h"
#include "model/json_checks.h"

namespace dc {

namespace {

bool is_integer(GgufType t) {
  switch (t) {
    case GgufType::U8:
    case GgufType::I8:
    case GgufType::U16:
    case GgufType::I16:
    case GgufType::U32:
    case GgufType::I32:
    case GgufType::U64:
    case GgufType::I64:
      return true;
    default:
      return false;
  }
}

bool is_signed(GgufType t) {
  return t == GgufType::I8 || t == GgufType::I16 || t == GgufType::I32 || t == GgufType::I64;
}

size_t integer_size(GgufType t) {
  switch (t) {
    case GgufType::U8:
    case GgufType::I8:
      return 1;
    case GgufType::U16:
    case GgufType::I16:
      return 2;
    case GgufType::U32:
    case GgufType::I32:
      return 4;
    default:
      return 8;
  }
}

// One integer element of type `t` at `p`, as (value, negative): the magnitude-preserving form that lets the
// callers check the range they need.
struct Integer {
  uint64_t bits;  // the value when !negative
  int64_t signed_value;
  bool negative;
};

Integer decode_integer(GgufType t, const char* p) {
  const size_t n = integer_size(t);
  uint64_t raw = 0;
  std::memcpy(&raw, p, n);
  if (!is_signed(t))
    return {raw, raw <= uint64_t(std::numeric_limits<int64_t>::max()) ? int64_t(raw) : 0, false};
  // Sign-extend from n bytes.
  const unsigned shift = unsigned(64 - 8 * n);
  const int64_t v = int64_t(raw << shift) >> shift;
  return {uint64_t(v), v, v < 0};
}

std::string type_description(const GgufValue& v) {
  if (v.type == GgufType::Array) return fmt::format("array of {}", gguf_type_name(v.elem));
  return gguf_type_name(v.type);
}

[[noreturn]] void wrong_type(const std::string& path, std::string_view key, const GgufValue& v,
                             const char* expected) {
  throw_error("{}: metadata key '{}' has type {}, expected {}", path, printable(std::string(key)),
              type_description(v), expected);
}

}  // namespace

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &header_.metadata[it->second].second;
}

namespace {

const GgufValue& require(const GgufFile& f, std::string_view key) {
  const GgufValue* v = f.find(key);
  if (!v) throw_error("{}: metadata key '{}' is missing", f.path(), printable(std::string(key)));
  return *v;
}

}  // namespace

uint64_t GgufFile::get_uint(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  if (!is_integer(v.type)) wrong_type(path(), key, v, "an unsigned integer");
  const Integer i = decode_integer(v.type, v.bytes.data());
  if (i.negative)
    throw_error("{}: metadata key '{}' is {}, expected a value >= 0", path(), printable(std::string(key)),
                i.signed_value);
  return i.bits;
}

int64_t GgufFile::get_int(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  if (!is_integer(v.type)) wrong_type(path(), key, v, "an integer");
  const Integer i = decode_integer(v.type, v.bytes.data());
  if (!i.negative && i.bits > uint64_t(std::numeric_limits<int64_t>::max()))
    throw_error("{}: metadata key '{}' is {}, too large", path(), printable(std::string(key)), i.bits);
  return i.signed_value;
}

double GgufFile::get_float(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  if (v.type == GgufType::F32) {
    float f;
    std::memcpy(&f, v.bytes.data(), 4);
    return f;
  }
  if (v.type == GgufType::F64) {
    double d;
    std::memcpy(&d, v.bytes.data(), 8);
    return d;
  }
  wrong_type(path(), key, v, "float32 or float64");
}

bool GgufFile::get_bool(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  if (v.type != GgufType::Bool) wrong_type(path(), key, v, "bool");
  return v.bytes[0] != 0;
}

std::string GgufFile::get_string(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  if (v.type != GgufType::String) wrong_type(path(), key, v, "string");
  return v.bytes;
}

std::vector<std::string> GgufFile::get_string_array(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  if (v.type != GgufType::Array || v.elem != GgufType::String) wrong_type(path(), key, v, "array of string");
  // The parser checked every length against the bytes, so the walk stays inside them.
  std::vector<std::string> out;
  out.reserve(size_t(v.count));
  size_t pos = 0;
  for (uint64_t i = 0; i < v.count; ++i) {
    uint64_t n = 0;
    DC_ASSERT(pos + 8 <= v.bytes.size());
    std::memcpy(&n, v.bytes.data() + pos, 8);
    pos += 8;
    DC_ASSERT(n <= v.bytes.size() - pos);
    out.emplace_back(v.bytes.data() + pos, size_t(n));
    pos += size_t(n);
  }
  return out;
}

std::vector<int64_t> GgufFile::get_int_array(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  if (v.type != GgufType::Array || !is_integer(v.elem)) wrong_type(path(), key, v, "array of integers");
  const size_t n = integer_size(v.elem);
  DC_ASSERT(v.bytes.size() == v.count * n);
  std::vector<int64_t> out;
  out.reserve(size_t(v.count));
  for (uint64_t i = 0; i < v.count; ++i) {
    const Integer e = decode_integer(v.elem, v.bytes.data() + i * n);
    if (!e.negative && e.bits > uint64_t(std::numeric_limits<int64_t>::max()))
      throw_error("{}: element {} of metadata key '{}' is {}, too large", path(), i,
                  printable(std::string(key)), e.bits);
    out.push_back(e.signed_value);
  }
  return out;
}

}  // namespace dc
