#include "model/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/json_checks.h"

namespace dc {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; so is this engine");

namespace {

using nlohmann::json;

// The safetensors library refuses headers above 100 MB; so do we (a 7B index header is about 30 KB).
constexpr uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000;

// A non-negative integer JSON value as uint64, or false.
bool as_u64(const json& v, uint64_t* out) {
  if (v.is_number_unsigned()) {
    *out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    *out = uint64_t(v.get<int64_t>());
    return true;
  }
  return false;
}

SafetensorsEntry parse_entry(const std::string& name, const json& e, const std::string& source) {
  const std::string n = printable(name);
  if (!e.is_object())
    throw_error("{}: tensor '{}': entry must be a JSON object, got {}", source, n, json_type_name(e));
  SafetensorsEntry t;
  t.name = name;

  auto dt = e.find("dtype");
  if (dt == e.end()) throw_error("{}: tensor '{}': missing 'dtype'", source, n);
  if (!dt->is_string())
    throw_error("{}: tensor '{}': 'dtype' must be a string, got {}", source, n, json_type_name(*dt));
  const auto& dts = dt->get_ref<const std::string&>();
  if (!parse_safetensors_dtype(dts, &t.dtype))
    throw_error("{}: tensor '{}': unknown dtype '{}' (supported: F32, F16, BF16, I32, I64, U8)", source, n,
                printable(dts));

  auto sh = e.find("shape");
  if (sh == e.end()) throw_error("{}: tensor '{}': missing 'shape'", source, n);
  if (!sh->is_array())
    throw_error("{}: tensor '{}': 'shape' must be an array, got {}", source, n, json_type_name(*sh));
  // numel * element size, checked for overflow: a header may claim any shape.
  uint64_t nbytes = dtype_size(t.dtype);
  bool overflow = false;
  for (const auto& d : *sh) {
    uint64_t v = 0;
    if (!as_u64(d, &v)) throw_error("{}: tensor '{}': 'shape' must hold non-negative integers", source, n);
    if (v > uint64_t(std::numeric_limits<int64_t>::max())) overflow = true;
    t.shape.push_back(int64_t(v));
    if (__builtin_mul_overflow(nbytes, v, &nbytes)) overflow = true;
  }

  auto off = e.find("data_offsets");
  if (off == e.end()) throw_error("{}: tensor '{}': missing 'data_offsets'", source, n);
  if (!off->is_array() || off->size() != 2 || !as_u64((*off)[0], &t.begin) || !as_u64((*off)[1], &t.end))
    throw_error("{}: tensor '{}': 'data_offsets' must be [begin, end] with non-negative integers", source, n);
  if (t.begin > t.end)
    throw_error("{}: tensor '{}': data_offsets [{}, {}] end before they begin", source, n, t.begin, t.end);
  if (overflow || nbytes > uint64_t(std::numeric_limits<int64_t>::max()))
    throw_error("{}: tensor '{}': shape {} is too large", source, n, shape_string(t.shape));
  if (t.end - t.begin != nbytes)
    throw_error("{}: tensor '{}': data_offsets [{}, {}] span {} bytes but {} {} needs {} bytes", source, n,
                t.begin, t.end, t.end - t.begin, dtype_name(t.dtype), shape_string(t.shape), nbytes);
  return t;
}

}  // namespace

bool parse_safetensors_dtype(std::string_view name, DType* out) {
  static const std::pair<std::string_view, DType> table[] = {{"F32", DType::F32},   {"F16", DType::F16},
                                                             {"BF16", DType::BF16}, {"I32", DType::I32},
                                                             {"I64", DType::I64},   {"U8", DType::U8}};
  for (const auto& [s, t] : table) {
    if (s == name) {
      *out = t;
      return true;
    }
  }
  return false;
}

SafetensorsHeader parse_safetensors_header(const uint8_t* data, size_t size, const std::string& source) {
  if (size < 8)
    throw_error("{}: file is too short for a safetensors header ({} bytes, need at least 8)", source, size);
  uint64_t n = 0;
  std::memcpy(&n, data, 8);  // little-endian u64 (static_assert above)
  if (n > size - 8)
    throw_error(
        "{}: header length {} runs past the end of the file ({} bytes): file truncated or not safetensors",
        source, n, size);
  if (n > kMaxHeaderBytes) throw_error("{}: header length {} exceeds the 100 MB limit", source, n);
  if (n < 2) throw_error("{}: header length {} is too small for a JSON object", source, n);

  SafetensorsHeader h;
  h.header_size = n;
  h.data_offset = 8 + n;
  h.data_size = size - h.data_offset;
  std::string_view text(reinterpret_cast<const char*>(data + 8), size_t(n));
  const std::string header_src = source + " (header)";
  json j = parse_json_checked(text, header_src);
  if (!j.is_object()) throw_error("{}: header must be a JSON object, got {}", source, json_type_name(j));

  for (const auto& [key, value] : j.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) throw_error("{}: '__metadata__' must be an object of strings", source);
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string())
          throw_error("{}: '__metadata__' value '{}' must be a string, got {}", source, printable(mk),
                      json_type_name(mv));
        h.metadata[mk] = mv.get<std::string>();
      }
      continue;
    }
    SafetensorsEntry t = parse_entry(key, value, source);
    if (t.end > h.data_size)
      throw_error(
          "{}: tensor '{}': data_offsets [{}, {}] run past the end of the data ({} bytes): file truncated",
          source, printable(t.name), t.begin, t.end, h.data_size);
    h.tensors.push_back(std::move(t));
  }

  // The data section must be tiled exactly: sorted by offset, each tensor starts where the previous ended.
  std::sort(h.tensors.begin(), h.tensors.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  uint64_t pos = 0;
  const SafetensorsEntry* prev = nullptr;
  for (const auto& t : h.tensors) {
    if (t.begin < pos)
      throw_error("{}: tensors '{}' [{}, {}] and '{}' [{}, {}] overlap", source, printable(prev->name),
                  prev->begin, prev->end, printable(t.name), t.begin, t.end);
    if (t.begin > pos)
      throw_error("{}: {} unused bytes before tensor '{}' at data offset {} (safetensors forbids holes)",
                  source, t.begin - pos, printable(t.name), pos);
    pos = t.end;
    if (t.end > t.begin) prev = &t;
  }
  if (pos != h.data_size)
    throw_error("{}: {} bytes after the last tensor are not described by the header", source,
                h.data_size - pos);
  return h;
}

void SafetensorsFile::AlignedFree::operator()(uint8_t* p) const {
  std::free(p);
}

SafetensorsFile::SafetensorsFile(const std::string& path) : file_(path) {
  header_ = parse_safetensors_header(file_.data(), file_.size(), path);
  for (const auto& t : header_.tensors) {
    TensorView v;
    v.dtype = t.dtype;
    v.shape = t.shape;
    const uint8_t* p = file_.data() + header_.data_offset + t.begin;
    const size_t nbytes = size_t(t.end - t.begin);
    if (reinterpret_cast<uintptr_t>(p) % dtype_size(t.dtype) != 0) {
      // Misaligned for its element type (legal in safetensors, rare in practice): copy once, 64-byte aligned.
      const size_t cap = (nbytes + 63) / 64 * 64;
      auto* buf = static_cast<uint8_t*>(std::aligned_alloc(64, cap == 0 ? 64 : cap));
      if (!buf) throw_error("{}: out of memory copying misaligned tensor '{}'", path, printable(t.name));
      std::memcpy(buf, p, nbytes);
      copies_.emplace_back(buf);
      p = buf;
    }
    v.data = p;
    tensors_.emplace(t.name, std::move(v));
  }
}

const TensorView& SafetensorsFile::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw_error("{}: missing tensor '{}'", path(), printable(name));
  return it->second;
}

}  // namespace dc
