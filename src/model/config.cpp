#include "model/config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "model/config_fields.h"
#include "model/config_llada.h"
#include "model/json_checks.h"

namespace dc {

void validate_model_config(const ModelConfig& c, const std::string& source) {
  const std::optional<Arch> arch = arch_of_model_type(c.model_type);
  if (!arch)
    throw_error("{}: unknown model_type '{}' (supported: {})", source, printable(c.model_type),
                supported_model_types());
  if (*arch != c.arch)
    throw_error("{}: model_type '{}' does not match the architecture the config describes ({})", source,
                printable(c.model_type), arch_traits(c.arch).model_type);
  if (c.text_vocab_size < 0 || c.text_vocab_size > c.vocab_size)
    throw_error("{}: the tokenizer vocabulary {} exceeds the embedding rows {}", source, c.text_vocab_size,
                c.vocab_size);
  check_range(c.hidden_size, "hidden_size", kMaxWidth, source);
  check_range(c.num_hidden_layers, "num_hidden_layers", kMaxCount, source);
  check_range(c.num_attention_heads, "num_attention_heads", kMaxCount, source);
  check_range(c.num_key_value_heads, "num_key_value_heads", kMaxCount, source);
  check_range(c.head_dim, "head_dim", kMaxWidth, source);
  check_range(c.intermediate_size, "intermediate_size", kMaxWidth, source);
  check_range(c.vocab_size, "vocab_size", kMaxWidth, source);
  check_range(c.max_position_embeddings, "max_position_embeddings", std::numeric_limits<int32_t>::max(),
              source);
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    throw_error("{}: num_attention_heads {} is not a multiple of num_key_value_heads {}", source,
                c.num_attention_heads, c.num_key_value_heads);
  if (c.head_dim % 2 != 0) throw_error("{}: head_dim {} must be even (rotate-half RoPE)", source, c.head_dim);
  if (c.num_attention_heads * c.head_dim > kMaxWidth)
    throw_error("{}: num_attention_heads * head_dim = {} is too large", source,
                c.num_attention_heads * c.head_dim);
  if (!(c.rms_norm_eps > 0.0) || !std::isfinite(c.rms_norm_eps))
    throw_error("{}: 'rms_norm_eps' must be a positive number, got {}", source, c.rms_norm_eps);
  if (!(c.rope_theta > 0.0) || !std::isfinite(c.rope_theta))
    throw_error("{}: 'rope_theta' must be a positive number, got {}", source, c.rope_theta);
  const std::pair<const char*, int32_t> ids[] = {{"mask_token_id", c.mask_token_id},
                                                 {"pad_token_id", c.pad_token_id},
                                                 {"bos_token_id", c.bos_token_id},
                                                 {"eos_token_id", c.eos_token_id}};
  for (const auto& [key, id] : ids) {
    if (id < -1 || id >= c.vocab_size)
      throw_error("{}: '{}' {} is outside the vocabulary (vocab_size {})", source, key, id, c.vocab_size);
  }
  if (!c.torch_dtype.empty() && c.torch_dtype != "bfloat16" && c.torch_dtype != "float16" &&
      c.torch_dtype != "float32")
    throw_error("{}: unsupported torch_dtype '{}' (supported: bfloat16, float16, float32)", source,
                printable(c.torch_dtype));
}

ModelConfig parse_model_config(std::string_view json_text, const std::string& source) {
  json j = parse_json_checked(json_text, source);
  if (!j.is_object()) throw_error("{}: expected a JSON object, got {}", source, json_type_name(j));

  ModelConfig c;
  auto mt = j.find("model_type");
  if (mt == j.end()) throw_error("{}: missing required field 'model_type'", source);
  if (!mt->is_string()) throw_error("{}: 'model_type' must be a string, got {}", source, json_type_name(*mt));
  const std::optional<Arch> arch = arch_of_model_type(mt->get<std::string>());
  if (!arch)
    throw_error("{}: unknown model_type '{}' (supported: {})", source, printable(mt->get<std::string>()),
                supported_model_types());
  if (*arch == Arch::Llada) return parse_llada_config(j, source);
  c.model_type = arch_traits(Arch::Dream).model_type;
  c.arch = Arch::Dream;

  c.hidden_size = get_int(j, "hidden_size", source);
  c.num_hidden_layers = get_int(j, "num_hidden_layers", source);
  c.num_attention_heads = get_int(j, "num_attention_heads", source);
  c.intermediate_size = get_int(j, "intermediate_size", source);
  c.vocab_size = get_int(j, "vocab_size", source);
  check_range(c.hidden_size, "hidden_size", kMaxWidth, source);
  check_range(c.num_attention_heads, "num_attention_heads", kMaxCount, source);
  c.num_key_value_heads = get_int(j, "num_key_value_heads", source, &c.num_attention_heads);
  if (c.hidden_size % c.num_attention_heads != 0 && !j.contains("head_dim"))
    throw_error("{}: hidden_size {} is not a multiple of num_attention_heads {} and no head_dim is given",
                source, c.hidden_size, c.num_attention_heads);
  const int64_t default_head_dim = c.hidden_size / c.num_attention_heads;
  c.head_dim = get_int(j, "head_dim", source, &default_head_dim);
  const int64_t default_max_pos = 32768;
  c.max_position_embeddings = get_int(j, "max_position_embeddings", source, &default_max_pos);
  c.rms_norm_eps = get_double(j, "rms_norm_eps", source, 1e-6);
  c.rope_theta = get_double(j, "rope_theta", source, 10000.0);
  c.tie_word_embeddings = get_bool(j, "tie_word_embeddings", source, false);
  c.mask_token_id = get_token_id(j, "mask_token_id", source);
  c.pad_token_id = get_token_id(j, "pad_token_id", source);
  c.bos_token_id = get_token_id(j, "bos_token_id", source);
  c.eos_token_id = get_token_id(j, "eos_token_id", source);
  if (auto it = j.find("torch_dtype"); it != j.end() && !it->is_null()) {
    if (!it->is_string())
      throw_error("{}: 'torch_dtype' must be a string, got {}", source, json_type_name(*it));
    c.torch_dtype = it->get<std::string>();
  }

  // Features of the wider Qwen2 family that this engine does not implement: refuse rather than run wrongly.
  if (auto it = j.find("rope_scaling"); it != j.end() && !it->is_null())
    throw_error("{}: 'rope_scaling' is not supported (expected null)", source);
  if (get_bool(j, "use_sliding_window", source, false))
    throw_error("{}: 'use_sliding_window' true is not supported (Dream attends to the whole canvas)", source);
  if (auto it = j.find("hidden_act"); it != j.end() && !it->is_null()) {
    if (!it->is_string() || it->get<std::string>() != "silu")
      throw_error("{}: 'hidden_act' must be \"silu\"", source);
  }

  validate_model_config(c, source);
  return c;
}

ModelConfig load_model_config(const std::string& path) {
  return parse_model_config(read_file(path), path);
}

std::string model_config_to_json(const ModelConfig& c) {
  if (c.arch == Arch::Llada) return llada_config_to_json(c);
  json j = json::object();
  j["architectures"] = json::array({arch_traits(c.arch).architectures});
  j["model_type"] = c.model_type;
  j["hidden_act"] = "silu";
  j["hidden_size"] = c.hidden_size;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["num_attention_heads"] = c.num_attention_heads;
  j["num_key_value_heads"] = c.num_key_value_heads;
  j["head_dim"] = c.head_dim;
  j["intermediate_size"] = c.intermediate_size;
  j["vocab_size"] = c.vocab_size;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["rope_theta"] = c.rope_theta;
  j["rope_scaling"] = nullptr;
  j["use_sliding_window"] = false;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  write_common_fields(j, c);
  return j.dump(2) + "\n";
}

}  // namespace dc
