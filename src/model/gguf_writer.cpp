#include "model/gguf_writer.h"

#include <bit>
#include <cstring>
#include <set>
#include <vector>

#include "core/error.h"
#include "model/atomic_writer.h"
#include "model/json_checks.h"

namespace dc {

namespace {

// The header is built in memory (its size is what the metadata and tensor infos take: small next to the
// data), then streamed out ahead of the tensors.
class HeaderBytes {
 public:
  template <typename T>
  void put(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put_string(std::string_view s) {
    put<uint64_t>(s.size());
    out_.append(s);
  }
  void put_value(const GgufValue& v) {
    put<uint32_t>(uint32_t(v.type));
    if (v.type == GgufType::String) {
      put_string(v.bytes);
      return;
    }
    if (v.type == GgufType::Array) {
      put<uint32_t>(uint32_t(v.elem));
      put<uint64_t>(v.count);
    }
    out_.append(v.bytes);
  }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

uint64_t align_up(uint64_t x, uint64_t a) {
  return x + (a - x % a) % a;
}

void check_tensor(const std::string& path, const GgufTensorRef& t) {
  const std::string n = printable(t.name);
  const TensorView& v = t.view;
  if (v.dtype == DType::I32 || v.dtype == DType::I64 || v.dtype == DType::U8)
    throw_error("{}: tensor '{}': GGUF cannot store dtype {}", path, n, dtype_name(v.dtype));
  if (v.shape.empty() || v.shape.size() > 4)
    throw_error("{}: tensor '{}': shape {} has {} dimensions (GGUF takes 1 to 4)", path, n,
                shape_string(v.shape), v.shape.size());
  for (int64_t d : v.shape)
    if (d < 0) throw_error("{}: tensor '{}': negative dimension in shape {}", path, n, shape_string(v.shape));
  if (v.shape.back() % dtype_block_elems(v.dtype) != 0)
    throw_error("{}: tensor '{}': innermost dimension {} is not a multiple of the {} block size {}", path, n,
                v.shape.back(), dtype_name(v.dtype), dtype_block_elems(v.dtype));
  if (v.nbytes() > 0 && v.data == nullptr && !t.fill) throw_error("{}: tensor '{}': no data", path, n);
}

}  // namespace

void write_gguf(const std::string& path, const GgufMetadata& metadata,
                const std::vector<GgufTensorRef>& tensors, uint32_t alignment) {
  if (alignment == 0 || !std::has_single_bit(alignment))
    throw_error("{}: alignment {} is not a power of two", path, alignment);
  std::set<std::string> keys;
  for (const auto& [key, value] : metadata) {
    if (!keys.insert(key).second) throw_error("{}: duplicate metadata key '{}'", path, printable(key));
    if (key == "general.alignment")
      throw_error("{}: general.alignment is set by the writer's alignment argument, not in the metadata",
                  path);
  }
  std::set<std::string> names;
  for (const auto& t : tensors) {
    if (!names.insert(t.name).second) throw_error("{}: duplicate tensor name '{}'", path, printable(t.name));
    check_tensor(path, t);
  }

  HeaderBytes h;
  h.put<uint32_t>(0x46554747u);  // "GGUF" read as a little-endian u32
  h.put<uint32_t>(3);
  h.put<uint64_t>(tensors.size());
  h.put<uint64_t>(metadata.size() + (alignment != 32 ? 1 : 0));
  if (alignment != 32) {
    h.put_string("general.alignment");
    h.put_value(GgufValue::scalar<uint32_t>(alignment));
  }
  for (const auto& [key, value] : metadata) {
    h.put_string(key);
    h.put_value(value);
  }
  std::vector<uint64_t> offsets;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    h.put_string(t.name);
    h.put<uint32_t>(uint32_t(t.view.shape.size()));
    for (auto d = t.view.shape.rbegin(); d != t.view.shape.rend(); ++d) h.put<uint64_t>(uint64_t(*d));
    h.put<uint32_t>(ggml_type_of(t.view.dtype));
    h.put<uint64_t>(offset);
    offsets.push_back(offset);
    offset = align_up(offset + t.view.nbytes(), alignment);
  }

  AtomicWriter w(path);
  w.write(h.bytes().data(), h.bytes().size());
  w.zeros(size_t(align_up(w.written(), alignment) - w.written()));
  const uint64_t data_start = w.written();
  std::vector<uint8_t> produced;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const GgufTensorRef& t = tensors[i];
    w.zeros(size_t(data_start + offsets[i] - w.written()));
    if (t.view.data == nullptr && t.fill) {
      produced.resize(t.view.nbytes());
      t.fill(produced.data());
      w.write(produced.data(), produced.size());
    } else {
      w.write(t.view.data, t.view.nbytes());
    }
  }
  w.commit();
}

}  // namespace dc
