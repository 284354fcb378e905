// LLaDA config.json (see config_llada.h).
#include "model/config_llada.h"

#include "core/error.h"
#include "model/config_fields.h"
#include "model/json_checks.h"

namespace dc {

namespace {

// A JSON value for a one-line message: strings quoted, anything else as JSON text; untrusted text escaped.
std::string shown(const json& v) {
  return v.is_string() ? "\"" + printable(v.get<std::string>(), 60) + "\"" : printable(v.dump(), 60);
}

// The keys whose value the engine's forward pass fixes, with LLaDA's code default when absent.
void require_supported(const json& j, const std::string& source) {
  struct Want {
    const char* key;
    json value, fallback;
  };
  const Want wants[] = {
      {"block_type", "llama", "sequential"},
      {"activation_type", "silu", "swiglu"},
      {"layer_norm_type", "rms", "default"},
      {"layer_norm_with_affine", true, true},
      {"rope", true, false},
      {"alibi", false, false},
      {"attention_layer_norm", false, false},
      {"include_bias", false, false},
      {"include_qkv_bias", false, false},
      {"input_emb_norm", false, false},
      {"scale_logits", false, false},
      {"block_group_size", 1, 1},
  };
  for (const Want& w : wants) {
    auto it = j.find(w.key);
    const json& got = (it == j.end() || it->is_null()) ? w.fallback : *it;
    if (got != w.value)
      throw_error("{}: '{}' is {}{}; the engine runs LLaDA's llama block, which needs {}", source, w.key,
                  shown(got), it == j.end() ? " (the default when absent)" : "", w.value.dump());
  }
  if (auto it = j.find("bias_for_layer_norm"); it != j.end() && !it->is_null() && *it != json(false))
    throw_error("{}: 'bias_for_layer_norm' must be false or null (norms without bias)", source);
}

}  // namespace

ModelConfig parse_llada_config(const json& j, const std::string& source) {
  require_supported(j, source);
  ModelConfig c;
  c.arch = Arch::Llada;
  c.model_type = arch_traits(Arch::Llada).model_type;
  c.hidden_size = get_int(j, "d_model", source);
  c.num_hidden_layers = get_int(j, "n_layers", source);
  c.num_attention_heads = get_int(j, "n_heads", source);
  check_range(c.hidden_size, "d_model", kMaxWidth, source);
  check_range(c.num_attention_heads, "n_heads", kMaxCount, source);
  const bool mqa = get_bool(j, "multi_query_attention", source, false);
  const int64_t default_kv = mqa ? 1 : c.num_attention_heads;
  c.num_key_value_heads = get_int(j, "n_kv_heads", source, &default_kv);
  if (mqa && c.num_key_value_heads != 1)
    throw_error("{}: 'multi_query_attention' is true but 'n_kv_heads' is {}", source, c.num_key_value_heads);
  if (c.hidden_size % c.num_attention_heads != 0)
    throw_error("{}: 'd_model' {} is not a multiple of 'n_heads' {}", source, c.hidden_size,
                c.num_attention_heads);
  c.head_dim = c.hidden_size / c.num_attention_heads;
  const int64_t mlp_ratio_default = 4;
  const int64_t mlp_ratio = get_int(j, "mlp_ratio", source, &mlp_ratio_default);
  check_range(mlp_ratio, "mlp_ratio", kMaxCount, source);
  const int64_t default_mlp = mlp_ratio * c.hidden_size;
  c.intermediate_size = get_int(j, "mlp_hidden_size", source, &default_mlp);
  const int64_t text_vocab = get_int(j, "vocab_size", source);
  check_range(text_vocab, "vocab_size", kMaxWidth, source);
  const int64_t olmo_default_rows = 50304;
  const bool rows_given = j.contains("embedding_size");
  c.vocab_size = get_int(j, "embedding_size", source, rows_given ? &text_vocab : &olmo_default_rows);
  if (c.vocab_size < text_vocab)
    throw_error("{}: 'embedding_size' {} is below 'vocab_size' {}", source, c.vocab_size, text_vocab);
  c.text_vocab_size = c.vocab_size == text_vocab ? 0 : text_vocab;
  const int64_t default_max_pos = 1024;
  c.max_position_embeddings = get_int(j, "max_sequence_length", source, &default_max_pos);
  c.rms_norm_eps = get_double(j, "rms_norm_eps", source, 1e-5);
  c.rope_theta = get_double(j, "rope_theta", source, 10000.0);
  c.tie_word_embeddings = get_bool(j, "weight_tying", source, true);
  c.mask_token_id = get_token_id(j, "mask_token_id", source);
  c.pad_token_id = get_token_id(j, "pad_token_id", source);
  c.bos_token_id = get_token_id(j, "bos_token_id", source);
  c.eos_token_id = get_token_id(j, "eos_token_id", source);
  c.torch_dtype = get_string(j, "torch_dtype", source, "");
  validate_model_config(c, source);
  return c;
}

std::string llada_config_to_json(const ModelConfig& c) {
  json j = json::object();
  j["architectures"] = json::array({arch_traits(Arch::Llada).architectures});
  j["model_type"] = c.model_type;
  j["block_type"] = "llama";
  j["activation_type"] = "silu";
  j["layer_norm_type"] = "rms";
  j["layer_norm_with_affine"] = true;
  j["bias_for_layer_norm"] = false;
  j["rope"] = true;
  j["alibi"] = false;
  j["attention_layer_norm"] = false;
  j["include_bias"] = false;
  j["include_qkv_bias"] = false;
  j["input_emb_norm"] = false;
  j["scale_logits"] = false;
  j["block_group_size"] = 1;
  j["d_model"] = c.hidden_size;
  j["n_layers"] = c.num_hidden_layers;
  j["n_heads"] = c.num_attention_heads;
  j["n_kv_heads"] = c.num_key_value_heads;
  j["mlp_hidden_size"] = c.intermediate_size;
  j["vocab_size"] = c.text_vocab_size > 0 ? c.text_vocab_size : c.vocab_size;
  j["embedding_size"] = c.vocab_size;
  j["weight_tying"] = c.tie_word_embeddings;
  j["max_sequence_length"] = c.max_position_embeddings;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["rope_theta"] = c.rope_theta;
  write_common_fields(j, c);
  return j.dump(2) + "\n";
}

}  // namespace dc
