// Reading GGUF v3 files (SPEC §10; the llama.cpp format): little-endian throughout,
//   magic "GGUF" | version u32 (= 3) | tensor count u64 | metadata count u64
//   | metadata: key (u64 length + bytes) | value type u32 | value
//   | tensor infos: name (string) | n_dims u32 | dims u64[n_dims] (innermost first) | ggml type u32
//                   | offset u64 (from the start of the data section)
//   | zero padding to general.alignment (u32, default 32) | data section
// Value types: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool (one byte, 0 or 1), 8 string (u64
// length + bytes, no terminator), 9 array (element type u32, count u64, elements), 10 u64, 11 i64, 12 f64.
// Tensor types: F32 0, F16 1, Q4_0 2, Q8_0 8, Q4_K 12, Q6_K 14, BF16 30 (core/dtype.h gives block sizes).
//
// Validation is strict and every failure is one dc::Error line "FILE: what is wrong (where)": a bad magic,
// a version other than 3, a header cut short anywhere, counts and string lengths that the remaining bytes
// cannot hold (checked before anything is allocated), unknown value types, arrays of arrays, a bool other
// than 0/1, duplicate keys or tensor names, a general.alignment that is not a u32 power of two, n_dims
// outside 1..4, shapes that overflow, an innermost dimension that is not a whole number of blocks, an
// unsupported tensor type, offsets not a multiple of the alignment, data past the end of the file, and
// overlapping tensors. Gaps between tensors (alignment padding) are allowed, as the format intends.
//
// Memory: the file is memory-mapped read-only. Metadata values are copied (their encoded bytes, bounded by
// the file size); tensor data is never read here: TensorView::data points into the mapping (zero copy).
// Shapes of views are in PyTorch order (the ggml dims reversed), so [out, in] for a weight stored with
// ggml ne = {in, out}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/dtype.h"
#include "core/mapped_file.h"
#include "core/tensor.h"

namespace dc {

enum class GgufType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};

const char* gguf_type_name(GgufType t);  // "uint32", "string", "array", ...

// ggml tensor type numbers <-> dtypes (the supported subset above).
bool dtype_from_ggml(uint32_t ggml_type, DType* out);
uint32_t ggml_type_of(DType t);  // DC_ASSERTs on a dtype GGUF cannot store (I32, I64, U8)

// One metadata value, as its encoded bytes. Scalars hold their little-endian bytes; a string its bytes;
// an array its element type, count and elements exactly as the file encodes them (a string element is
// u64 length + bytes). Built with the factories below or by the parser; read with GgufFile's getters.
struct GgufValue {
  GgufType type = GgufType::U32;
  GgufType elem = GgufType::U32;  // arrays only
  uint64_t count = 0;             // arrays only
  std::string bytes;

  template <typename T>
  static GgufValue scalar(T v);  // T: uint8_t .. int64_t, float, double, bool
  static GgufValue string(std::string_view s);
  template <typename T>
  static GgufValue array(std::span<const T> v);
  static GgufValue array(const std::vector<std::string>& v);

  bool operator==(const GgufValue&) const = default;
};

// Insertion-ordered metadata (the writer keeps the order; the reader keeps the file's).
using GgufMetadata = std::vector<std::pair<std::string, GgufValue>>;

struct GgufTensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> ggml_dims;  // innermost first, as stored
  uint64_t offset = 0;             // from the start of the data section
  uint64_t nbytes = 0;
};

struct GgufHeader {
  uint64_t alignment = 32;
  uint64_t data_offset = 0;             // file offset of the data section (aligned end of the header)
  GgufMetadata metadata;                // file order
  std::vector<GgufTensorInfo> tensors;  // file order
};

// Parses and validates a whole GGUF file held in [data, data + size). Pure: no I/O, no reads outside the
// buffer; `source` names the file in messages. Throws dc::Error. Fuzzed by fuzz/gguf_fuzz.cpp.
GgufHeader parse_gguf(const uint8_t* data, size_t size, const std::string& source);

class GgufFile {
 public:
  // Maps `path` and validates it (see above). Throws dc::Error naming `path`.
  static GgufFile open(const std::string& path);
  GgufFile(GgufFile&&) noexcept = default;
  GgufFile& operator=(GgufFile&&) noexcept = default;

  const std::string& path() const { return file_.path(); }
  const GgufHeader& header() const { return header_; }
  const GgufMetadata& metadata() const { return header_.metadata; }

  // Metadata by key. find() returns nullptr when absent; the getters throw dc::Error
  // "PATH: metadata key 'KEY' is missing" or "... has type T, expected E".
  bool has(std::string_view key) const { return find(key) != nullptr; }
  const GgufValue* find(std::string_view key) const;
  uint64_t get_uint(std::string_view key) const;  // any integer type holding a value >= 0
  int64_t get_int(std::string_view key) const;    // any integer type holding a value that fits int64
  double get_float(std::string_view key) const;   // float32 or float64
  bool get_bool(std::string_view key) const;
  std::string get_string(std::string_view key) const;
  std::vector<std::string> get_string_array(std::string_view key) const;
  std::vector<int64_t> get_int_array(std::string_view key) const;  // array of any integer type

  // MappedFile::drop_pages on this file's mapping.
  bool drop_pages(const void* p, size_t bytes) const { return file_.drop_pages(p, bytes); }

  // Tensors by name, PyTorch-order shape, data in the mapping.
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  bool has_tensor(const std::string& name) const { return tensors_.count(name) != 0; }
  // Throws dc::Error "PATH: missing tensor 'NAME'".
  const TensorView& tensor(const std::string& name) const;

 private:
  GgufFile() = default;
  MappedFile file_;
  GgufHeader header_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, size_t, std::less<>> index_;  // key -> position in header_.metadata
};

// --- value factories ---------------------------------------------------------------------------------

template <typename T>
constexpr GgufType gguf_type_of() {
  if constexpr (std::is_same_v<T, bool>)
    return GgufType::Bool;
  else if constexpr (std::is_same_v<T, uint8_t>)
    return GgufType::U8;
  else if constexpr (std::is_same_v<T, int8_t>)
    return GgufType::I8;
  else if constexpr (std::is_same_v<T, uint16_t>)
    return GgufType::U16;
  else if constexpr (std::is_same_v<T, int16_t>)
    return GgufType::I16;
  else if constexpr (std::is_same_v<T, uint32_t>)
    return GgufType::U32;
  else if constexpr (std::is_same_v<T, int32_t>)
    return GgufType::I32;
  else if constexpr (std::is_same_v<T, float>)
    return GgufType::F32;
  else if constexpr (std::is_same_v<T, uint64_t>)
    return GgufType::U64;
  else if constexpr (std::is_same_v<T, int64_t>)
    return GgufType::I64;
  else {
    static_assert(std::is_same_v<T, double>, "not a GGUF value type");
    return GgufType::F64;
  }
}

template <typename T>
GgufValue GgufValue::scalar(T v) {
  GgufValue out;
  out.type = gguf_type_of<T>();
  if constexpr (std::is_same_v<T, bool>) {
    out.bytes.assign(1, v ? '\1' : '\0');
  } else {
    out.bytes.assign(reinterpret_cast<const char*>(&v), sizeof v);
  }
  return out;
}

template <typename T>
GgufValue GgufValue::array(std::span<const T> v) {
  GgufValue out;
  out.type = GgufType::Array;
  out.elem = gguf_type_of<T>();
  out.count = v.size();
  if constexpr (std::is_same_v<T, bool>) {
    for (bool b : v) out.bytes.push_back(b ? '\1' : '\0');
  } else {
    out.bytes.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  return out;
}

}  // namespace dc
