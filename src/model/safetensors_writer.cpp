#include "model/safetensors_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "model/atomic_writer.h"
#include "model/json_checks.h"

namespace dc {

using nlohmann::json;

void write_safetensors(const std::string& path, const std::vector<TensorRef>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // Data order: larger elements first, then by name, so each tensor starts aligned to its element size.
  std::vector<const TensorRef*> order;
  std::set<std::string> names;
  for (const auto& t : tensors) {
    if (t.name == "__metadata__") throw_error("{}: '__metadata__' is not a valid tensor name", path);
    if (!names.insert(t.name).second) throw_error("{}: duplicate tensor name '{}'", path, printable(t.name));
    for (int64_t d : t.view.shape)
      if (d < 0)
        throw_error("{}: tensor '{}': negative dimension in shape {}", path, printable(t.name),
                    shape_string(t.view.shape));
    if (t.view.nbytes() > 0 && t.view.data == nullptr)
      throw_error("{}: tensor '{}': no data", path, printable(t.name));
    order.push_back(&t);
  }
  std::sort(order.begin(), order.end(), [](const TensorRef* a, const TensorRef* b) {
    size_t sa = dtype_size(a->view.dtype), sb = dtype_size(b->view.dtype);
    return sa != sb ? sa > sb : a->name < b->name;
  });

  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const TensorRef* t : order) {
    const uint64_t nb = t->view.nbytes();
    header[t->name] = {{"dtype", dtype_name(t->view.dtype)},
                       {"shape", t->view.shape},
                       {"data_offsets", {offset, offset + nb}}};
    offset += nb;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // pad so the data section starts 8-aligned
  const uint64_t n = text.size();

  AtomicWriter w(path);
  w.write(&n, 8);
  w.write(text.data(), text.size());
  for (const TensorRef* t : order) w.write(t->view.data, t->view.nbytes());
  w.commit();
}

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<TensorRef> refs;
  refs.reserve(tensors.size());
  for (const auto& t : tensors) {
    TensorRef r{t.name, TensorView{t.dtype, t.shape, t.bytes.data()}};
    for (int64_t d : t.shape)
      if (d < 0)
        throw_error("{}: tensor '{}': negative dimension in shape {}", path, printable(t.name),
                    shape_string(t.shape));
    if (r.view.nbytes() != t.bytes.size())
      throw_error("{}: tensor '{}': {} bytes given but {} {} needs {}", path, printable(t.name),
                  t.bytes.size(), dtype_name(t.dtype), shape_string(t.shape), r.view.nbytes());
    refs.push_back(std::move(r));
  }
  write_safetensors(path, refs, metadata);
}

void write_safetensors_index(const std::string& path, const std::map<std::string, std::string>& weight_map,
                             uint64_t total_size) {
  json j = {{"metadata", {{"total_size", total_size}}}, {"weight_map", weight_map}};
  write_file_atomic(path, j.dump(2) + "\n");
}

NamedTensor make_float_tensor(const std::string& name, DType dtype, std::vector<int64_t> shape,
                              const std::vector<float>& values) {
  NamedTensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  int64_t numel = 1;
  for (int64_t d : t.shape) numel *= d;
  DC_ASSERT(numel == int64_t(values.size()), "make_float_tensor: values do not match the shape");
  t.bytes.resize(values.size() * dtype_size(dtype));
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::F32) {
      std::memcpy(&t.bytes[i * 4], &values[i], 4);
    } else if (dtype == DType::BF16) {
      uint16_t h = f32_to_bf16(values[i]);
      std::memcpy(&t.bytes[i * 2], &h, 2);
    } else if (dtype == DType::F16) {
      uint16_t h = f32_to_f16(values[i]);
      std::memcpy(&t.bytes[i * 2], &h, 2);
    } else {
      DC_ASSERT(false, "make_float_tensor: dtype must be F32, F16 or BF16");
    }
  }
  return t;
}

}  // namespace dc
