#include "model/gguf.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <set>

#include "core/error.h"
#include "model/json_checks.h"

namespace dc {

static_assert(std::endian::native == std::endian::little, "GGUF is little-endian; so is this engine");

namespace {

constexpr uint32_t kVersion = 3;
constexpr int kMaxDims = 4;
// Smallest encodings, used to bound counts by the bytes left before anything is allocated:
// a metadata entry is at least key length (8) + type (4) + a one-byte value; a tensor info at least
// name length (8) + n_dims (4) + one dim (8) + type (4) + offset (8).
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

struct GgmlTypeRow {
  uint32_t id;
  DType dtype;
};
constexpr GgmlTypeRow kGgmlTypes[] = {{0, DType::F32},  {1, DType::F16},   {2, DType::Q4_0},
                                      {8, DType::Q8_0}, {12, DType::Q4_K}, {14, DType::Q6_K},
                                      {30, DType::BF16}};

// Bytes of one scalar of `t` (0 for string and array).
size_t scalar_size(GgufType t) {
  switch (t) {
    case GgufType::U8:
    case GgufType::I8:
    case GgufType::Bool:
      return 1;
    case GgufType::U16:
    case GgufType::I16:
      return 2;
    case GgufType::U32:
    case GgufType::I32:
    case GgufType::F32:
      return 4;
    case GgufType::U64:
    case GgufType::I64:
    case GgufType::F64:
      return 8;
    case GgufType::String:
    case GgufType::Array:
      return 0;
  }
  return 0;
}

bool valid_type(uint32_t t) {
  return t <= uint32_t(GgufType::F64);
}

// A bounds-checked cursor over the file. Every read names what it reads for the message.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size, const std::string& source) : p_(data), size_(size), src_(source) {}

  uint64_t pos() const { return pos_; }
  const uint8_t* at(uint64_t pos) const { return p_ + pos; }
  uint64_t left() const { return size_ - pos_; }
  const std::string& source() const { return src_; }

  const uint8_t* take(uint64_t n, const std::string& what) {
    if (n > left())
      throw_error("{}: file ends inside {} (needs {} bytes at byte {}, file has {})", src_, what, n, pos_,
                  size_);
    const uint8_t* at = p_ + pos_;
    pos_ += n;
    return at;
  }
  template <typename T>
  T read(const std::string& what) {
    T v;
    std::memcpy(&v, take(sizeof v, what), sizeof v);
    return v;
  }
  std::string_view string(const std::string& what) {
    const uint64_t at = pos_;
    const auto n = read<uint64_t>(what + " length");
    if (n > left())
      throw_error("{}: {} length {} runs past the end of the file (at byte {}, {} bytes left)", src_, what, n,
                  at, left());
    return {reinterpret_cast<const char*>(take(n, what)), size_t(n)};
  }

 private:
  const uint8_t* p_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& src_;
};

// Reads one value of type `t` (after its type tag) and returns its encoded bytes (the array's elements
// for an array, whose element type and count go to `v`).
void read_value(Reader& r, GgufType t, GgufValue& v, const std::string& where) {
  v.type = t;
  const uint64_t start = r.pos();
  if (t == GgufType::String) {
    const std::string_view s = r.string("the string value of " + where);
    v.bytes.assign(s);
    return;
  }
  if (t != GgufType::Array) {
    const uint8_t* b = r.take(scalar_size(t), "the value of " + where);
    if (t == GgufType::Bool && *b > 1)
      throw_error("{}: {} is a bool with byte value {} (must be 0 or 1) (at byte {})", r.source(), where, *b,
                  start);
    v.bytes.assign(reinterpret_cast<const char*>(b), scalar_size(t));
    return;
  }
  const auto et = r.read<uint32_t>("the array element type of " + where);
  if (!valid_type(et))
    throw_error("{}: {} is an array of unknown value type {} (at byte {})", r.source(), where, et, start);
  v.elem = GgufType(et);
  if (v.elem == GgufType::Array)
    throw_error("{}: {} is an array of arrays, which is not supported (at byte {})", r.source(), where,
                start);
  const uint64_t count_at = r.pos();
  v.count = r.read<uint64_t>("the array length of " + where);
  const uint64_t min_elem = v.elem == GgufType::String ? 8 : scalar_size(v.elem);
  if (v.count > r.left() / min_elem)
    throw_error("{}: {} claims {} elements of {}, more than the {} bytes left can hold (at byte {})",
                r.source(), where, v.count, gguf_type_name(v.elem), r.left(), count_at);
  const uint64_t body = r.pos();
  if (v.elem == GgufType::String) {
    for (uint64_t i = 0; i < v.count; ++i) r.string(fmt::format("element {} of {}", i, where));
  } else {
    const uint8_t* e = r.take(v.count * min_elem, "the elements of " + where);
    if (v.elem == GgufType::Bool) {
      for (uint64_t i = 0; i < v.count; ++i)
        if (e[i] > 1)
          throw_error("{}: element {} of {} is a bool with byte value {} (must be 0 or 1)", r.source(), i,
                      where, e[i]);
    }
  }
  v.bytes.assign(reinterpret_cast<const char*>(r.at(body)), size_t(r.pos() - body));
}

uint64_t align_up(uint64_t x, uint64_t a) {
  return x + (a - x % a) % a;
}

std::string describe_dims(const std::vector<int64_t>& ggml_dims) {
  std::string s = "{";
  for (size_t i = 0; i < ggml_dims.size(); ++i) s += (i ? ", " : "") + std::to_string(ggml_dims[i]);
  return s + "}";
}

GgufTensorInfo read_tensor_info(Reader& r, uint64_t index) {
  const std::string where = fmt::format("tensor info {}", index);
  GgufTensorInfo t;
  t.name = std::string(r.string("the name of " + where));
  const std::string n = printable(t.name);
  const std::string named = fmt::format("tensor '{}'", n);
  const uint64_t dims_at = r.pos();
  const auto n_dims = r.read<uint32_t>("the dimension count of " + named);
  if (n_dims < 1 || n_dims > kMaxDims)
    throw_error("{}: {} has {} dimensions (1 to {} allowed) (at byte {})", r.source(), named, n_dims,
                kMaxDims, dims_at);
  for (uint32_t d = 0; d < n_dims; ++d) {
    const auto v = r.read<uint64_t>(fmt::format("dimension {} of {}", d, named));
    if (v > uint64_t(std::numeric_limits<int64_t>::max()))
      throw_error("{}: {} has dimension {} = {}, too large (at byte {})", r.source(), named, d, v, dims_at);
    t.ggml_dims.push_back(int64_t(v));
  }
  const uint64_t type_at = r.pos();
  const auto type = r.read<uint32_t>("the type of " + named);
  if (!dtype_from_ggml(type, &t.dtype))
    throw_error("{}: unsupported tensor type {} ({}, at byte {})", r.source(), type, named, type_at);
  t.offset = r.read<uint64_t>("the data offset of " + named);

  // Bytes: rows of whole blocks; every product checked for overflow (the dims are the file's word).
  const auto block = uint64_t(dtype_block_elems(t.dtype));
  if (uint64_t(t.ggml_dims[0]) % block != 0)
    throw_error("{}: {} has innermost dimension {}, not a multiple of the {} block size {}", r.source(),
                named, t.ggml_dims[0], dtype_name(t.dtype), block);
  uint64_t nbytes = uint64_t(t.ggml_dims[0]) / block * dtype_block_bytes(t.dtype);
  bool overflow = false;
  uint64_t numel = 1;
  for (int64_t d : t.ggml_dims) overflow |= __builtin_mul_overflow(numel, uint64_t(d), &numel);
  for (size_t d = 1; d < t.ggml_dims.size(); ++d)
    overflow |= __builtin_mul_overflow(nbytes, uint64_t(t.ggml_dims[d]), &nbytes);
  if (overflow || numel > uint64_t(std::numeric_limits<int64_t>::max()))
    throw_error("{}: {} has dims {}, too large", r.source(), named, describe_dims(t.ggml_dims));
  t.nbytes = nbytes;
  return t;
}

}  // namespace

const char* gguf_type_name(GgufType t) {
  switch (t) {
    case GgufType::U8:
      return "uint8";
    case GgufType::I8:
      return "int8";
    case GgufType::U16:
      return "uint16";
    case GgufType::I16:
      return "int16";
    case GgufType::U32:
      return "uint32";
    case GgufType::I32:
      return "int32";
    case GgufType::F32:
      return "float32";
    case GgufType::Bool:
      return "bool";
    case GgufType::String:
      return "string";
    case GgufType::Array:
      return "array";
    case GgufType::U64:
      return "uint64";
    case GgufType::I64:
      return "int64";
    case GgufType::F64:
      return "float64";
  }
  return "?";
}

bool dtype_from_ggml(uint32_t ggml_type, DType* out) {
  for (const auto& row : kGgmlTypes) {
    if (row.id == ggml_type) {
      *out = row.dtype;
      return true;
    }
  }
  return false;
}

uint32_t ggml_type_of(DType t) {
  for (const auto& row : kGgmlTypes)
    if (row.dtype == t) return row.id;
  DC_ASSERT(false, "ggml_type_of: GGUF cannot store this dtype");
  return 0;
}

GgufValue GgufValue::string(std::string_view s) {
  GgufValue out;
  out.type = GgufType::String;
  out.bytes.assign(s);
  return out;
}

GgufValue GgufValue::array(const std::vector<std::string>& v) {
  GgufValue out;
  out.type = GgufType::Array;
  out.elem = GgufType::String;
  out.count = v.size();
  for (const std::string& s : v) {
    const uint64_t n = s.size();
    out.bytes.append(reinterpret_cast<const char*>(&n), 8);
    out.bytes.append(s);
  }
  return out;
}

GgufHeader parse_gguf(const uint8_t* data, size_t size, const std::string& source) {
  Reader r(data, size, source);
  const uint8_t* magic = r.take(4, "the magic");
  if (std::memcmp(magic, "GGUF", 4) != 0)
    throw_error("{}: not a GGUF file (the first 4 bytes are not \"GGUF\")", source);
  const auto version = r.read<uint32_t>("the version");
  if (version != kVersion)
    throw_error("{}: GGUF version {} is not supported (only version {}) (at byte 4)", source, version,
                kVersion);
  const auto n_tensors = r.read<uint64_t>("the tensor count");
  const auto n_kv = r.read<uint64_t>("the metadata count");
  if (n_kv > r.left() / kMinKvBytes)
    throw_error("{}: metadata count {} is impossible: the {} bytes left hold at most {} entries (at byte 16)",
                source, n_kv, r.left(), r.left() / kMinKvBytes);

  GgufHeader h;
  std::set<std::string_view> keys;
  h.metadata.reserve(size_t(n_kv));
  for (uint64_t i = 0; i < n_kv; ++i) {
    const uint64_t at = r.pos();
    const std::string_view key = r.string(fmt::format("the key of metadata entry {}", i));
    const std::string where = fmt::format("metadata key '{}'", printable(std::string(key)));
    if (!keys.insert(key).second) throw_error("{}: duplicate {} (at byte {})", source, where, at);
    const uint64_t type_at = r.pos();
    const auto type = r.read<uint32_t>("the value type of " + where);
    if (!valid_type(type))
      throw_error("{}: {} has unknown value type {} (at byte {})", source, where, type, type_at);
    GgufValue v;
    read_value(r, GgufType(type), v, where);
    h.metadata.emplace_back(std::string(key), std::move(v));
  }

  for (const auto& [key, v] : h.metadata) {
    if (key != "general.alignment") continue;
    if (v.type != GgufType::U32)
      throw_error("{}: general.alignment has type {}, expected uint32", source, gguf_type_name(v.type));
    uint32_t a = 0;
    std::memcpy(&a, v.bytes.data(), 4);
    if (a == 0 || !std::has_single_bit(a))
      throw_error("{}: general.alignment {} is not a power of two", source, a);
    h.alignment = a;
  }

  if (n_tensors > r.left() / kMinTensorInfoBytes)
    throw_error(
        "{}: tensor count {} is impossible: the {} bytes left hold at most {} tensor infos (at byte 8)",
        source, n_tensors, r.left(), r.left() / kMinTensorInfoBytes);
  h.tensors.reserve(size_t(n_tensors));
  std::set<std::string> names;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    const uint64_t at = r.pos();
    GgufTensorInfo t = read_tensor_info(r, i);
    if (!names.insert(t.name).second)
      throw_error("{}: duplicate tensor name '{}' (tensor info {}, at byte {})", source, printable(t.name), i,
                  at);
    h.tensors.push_back(std::move(t));
  }

  h.data_offset = align_up(r.pos(), h.alignment);
  const uint64_t data_size = h.data_offset <= size ? size - h.data_offset : 0;
  if (h.data_offset > size && !h.tensors.empty())
    throw_error("{}: file ends before the data section (which starts at byte {}, file has {})", source,
                h.data_offset, size);
  for (const GgufTensorInfo& t : h.tensors) {
    const std::string n = printable(t.name);
    if (t.offset % h.alignment != 0)
      throw_error("{}: tensor '{}' offset {} is not a multiple of the alignment {}", source, n, t.offset,
                  h.alignment);
    if (t.offset > data_size || t.nbytes > data_size - t.offset)
      throw_error(
          "{}: tensor '{}' bytes [{}, {}) run past the end of the data section ({} bytes): file truncated",
          source, n, t.offset, t.offset + t.nbytes, data_size);
    // Zero copy needs each element aligned in memory (mappings are page-aligned): only an alignment
    // below the element size could break that.
    const uint64_t elem = dtype_is_block(t.dtype) ? 2 : dtype_size(t.dtype);
    if ((h.data_offset + t.offset) % elem != 0)
      throw_error("{}: tensor '{}' data at byte {} is not aligned to its {}-byte elements", source, n,
                  h.data_offset + t.offset, elem);
  }
  std::vector<const GgufTensorInfo*> by_offset;
  for (const auto& t : h.tensors)
    if (t.nbytes > 0) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const auto* a, const auto* b) {
    return a->offset != b->offset ? a->offset < b->offset : a->name < b->name;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensorInfo& a = *by_offset[i - 1];
    const GgufTensorInfo& b = *by_offset[i];
    if (b.offset < a.offset + a.nbytes)
      throw_error("{}: tensors '{}' [{}, {}) and '{}' [{}, {}) overlap", source, printable(a.name), a.offset,
                  a.offset + a.nbytes, printable(b.name), b.offset, b.offset + b.nbytes);
  }
  return h;
}

GgufFile GgufFile::open(const std::string& path) {
  GgufFile f;
  f.file_ = MappedFile(path);
  f.header_ = parse_gguf(f.file_.data(), f.file_.size(), path);
  for (size_t i = 0; i < f.header_.metadata.size(); ++i) f.index_.emplace(f.header_.metadata[i].first, i);
  for (const GgufTensorInfo& t : f.header_.tensors) {
    TensorView v;
    v.dtype = t.dtype;
    v.shape.assign(t.ggml_dims.rbegin(), t.ggml_dims.rend());
    v.data = f.file_.data() + f.header_.data_offset + t.offset;
    f.tensors_.emplace(t.name, std::move(v));
  }
  return f;
}

const TensorView& GgufFile::tensor(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw_error("{}: missing tensor '{}'", path(), printable(name));
  return it->second;
}

}  // namespace dc
