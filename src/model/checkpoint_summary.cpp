#include "model/checkpoint_summary.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include "model/json_checks.h"
#include "model/model_files.h"

namespace dc {

namespace {

std::string base_name(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// "12.345 MB" below a gigabyte, "15.231 GB" above.
std::string size_text(uint64_t bytes) {
  return bytes < 1000000000ull ? fmt::format("{:.3f} MB", double(bytes) / 1e6)
                               : fmt::format("{:.3f} GB", double(bytes) / 1e9);
}

std::string tensor_line(const std::string& name, const TensorView& t, const std::string& file) {
  return fmt::format("  {:<56} {:<5} {:<16} {:>10.3f} MB  {}\n", printable(name), dtype_name(t.dtype),
                     shape_string(t.shape), double(t.nbytes()) / 1e6, file);
}

}  // namespace

std::string describe_checkpoint(const Checkpoint& ck) {
  const ModelConfig& c = ck.config();
  std::string s = fmt::format("checkpoint {}\n", ck.dir());
  s += fmt::format("  model_type {}  torch_dtype {}\n", c.model_type,
                   c.torch_dtype.empty() ? "-" : c.torch_dtype);
  s += fmt::format("  hidden {}  layers {}  heads {} / kv {}  head_dim {}  ffn {}  vocab {}\n", c.hidden_size,
                   c.num_hidden_layers, c.num_attention_heads, c.num_key_value_heads, c.head_dim,
                   c.intermediate_size, c.vocab_size);
  s += fmt::format("  rms_norm_eps {}  rope_theta {}  max_positions {}  tied embeddings {}\n", c.rms_norm_eps,
                   c.rope_theta, c.max_position_embeddings, c.tie_word_embeddings ? "yes" : "no");
  s += fmt::format("  mask {}  pad {}  bos {}  eos {}\n", c.mask_token_id, c.pad_token_id, c.bos_token_id,
                   c.eos_token_id);
  size_t copied = 0;
  for (const auto& f : ck.files()) copied += f->copied_tensors();
  s += fmt::format("{} tensors in {} file(s), {}, {} copied for alignment\n", ck.names().size(),
                   ck.gguf() ? 1 : ck.files().size(), size_text(ck.total_bytes()), copied);
  for (const auto& name : ck.names()) s += tensor_line(name, ck.get(name), base_name(ck.file_of(name)));
  const auto extra = unexpected_tensors(ck);
  if (!extra.empty()) {
    s += fmt::format("{} tensor(s) not used by the {} model:\n", extra.size(), c.model_type);
    for (const auto& name : extra) s += "  " + printable(name) + "\n";
  }
  return s;
}

std::string describe_safetensors_file(const SafetensorsFile& f) {
  uint64_t total = 0;
  for (const auto& kv : f.tensors()) total += kv.second.nbytes();
  std::string s =
      fmt::format("safetensors {}\n{} tensors, {}, header {} bytes, {} copied for alignment\n", f.path(),
                  f.tensors().size(), size_text(total), f.header().header_size, f.copied_tensors());
  for (const auto& [k, v] : f.metadata())
    s += fmt::format("  metadata {} = {}\n", printable(k), printable(v));
  for (const auto& [name, t] : f.tensors()) s += tensor_line(name, t, base_name(f.path()));
  return s;
}

std::string describe_gguf_metadata(const GgufFile& f) {
  std::string s =
      fmt::format("gguf {}\nGGUF v3, {} metadata keys, {} tensors, alignment {}, data at byte {}\n", f.path(),
                  f.metadata().size(), f.tensors().size(), f.header().alignment, f.header().data_offset);
  for (const auto& [key, v] : f.metadata()) {
    std::string value;
    switch (v.type) {
      case GgufType::String:
        value = "\"" + printable(v.bytes.size() > 60 ? v.bytes.substr(0, 60) + "..." : v.bytes) + "\"";
        break;
      case GgufType::Array:
        value = fmt::format("[{} x {}]", v.count, gguf_type_name(v.elem));
        break;
      case GgufType::F32:  // shortest decimal of the float itself (1e-06, not 9.99999997e-07)
        value = fmt::format("{}", float(f.get_float(key)));
        break;
      case GgufType::F64:
        value = fmt::format("{}", f.get_float(key));
        break;
      case GgufType::Bool:
        value = f.get_bool(key) ? "true" : "false";
        break;
      default:
        value = fmt::format("{}", f.get_int(key));
    }
    s += fmt::format("  {} = {}\n", printable(key), value);
  }
  return s;
}

std::string describe_model_path(const std::string& path) {
  if (const std::string gguf = find_gguf(path); !gguf.empty()) {
    const Checkpoint ck = Checkpoint::open(gguf);
    bool blocks = false;
    for (const auto& name : ck.names()) blocks |= dtype_is_block(ck.get(name).dtype);
    if (!blocks) validate_tensors(ck);  // block types await the quantized kernels; shapes still listed
    return describe_gguf_metadata(*ck.gguf()) + describe_checkpoint(ck);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
    return describe_safetensors_file(SafetensorsFile(path));
  const Checkpoint ck = Checkpoint::open(path);
  validate_tensors(ck);  // a folder the engine cannot run is reported, not described
  return describe_checkpoint(ck);
}

}  // namespace dc
