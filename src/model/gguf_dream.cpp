// Dream <-> GGUF metadata and tensor names (see gguf_dream.h).
#include "model/gguf_dream.h"

#include <charconv>
#include <cstring>
#include <limits>
#include <map>
#include <utility>

#include "core/error.h"
#include "model/json_checks.h"
#include "tokenizer/pretokenizer.h"

namespace dc {

namespace {

// llama.cpp's token types (llama_token_type / gguf.TokenType).
enum TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6
};

// llama.cpp's general.file_type values for the float files this engine writes.
constexpr uint32_t kFileTypeF32 = 0, kFileTypeF16 = 1, kFileTypeBF16 = 32;

constexpr const char* kLayerPrefix = "model.layers.";
constexpr const char* kBlockPrefix = "blk.";

// (Hugging Face, GGUF) names: whole names, then per-layer suffixes after "model.layers.N." / "blk.N.".
constexpr std::pair<const char*, const char*> kGlobalNames[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"}};
constexpr std::pair<const char*, const char*> kLayerNames[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

// Maps `name` from one naming to the other: `from_global`/`to_global` pick the pair member.
template <bool kToGguf>
std::string map_name(const std::string& name) {
  for (const auto& [hf, gg] : kGlobalNames)
    if (name == (kToGguf ? hf : gg)) return kToGguf ? gg : hf;
  const std::string from_prefix = kToGguf ? kLayerPrefix : kBlockPrefix;
  const std::string to_prefix = kToGguf ? kBlockPrefix : kLayerPrefix;
  if (name.rfind(from_prefix, 0) != 0) return "";
  size_t pos = from_prefix.size();
  size_t digits = 0;
  while (pos + digits < name.size() && name[pos + digits] >= '0' && name[pos + digits] <= '9') ++digits;
  if (digits == 0 || digits > 6 || (digits > 1 && name[pos] == '0') || pos + digits >= name.size() ||
      name[pos + digits] != '.')
    return "";
  const std::string layer = name.substr(pos, digits);
  const std::string suffix = name.substr(pos + digits + 1);
  for (const auto& [hf, gg] : kLayerNames)
    if (suffix == (kToGguf ? hf : gg)) return to_prefix + layer + "." + (kToGguf ? gg : hf);
  return "";
}

uint32_t u32_field(int64_t v, const char* what) {
  DC_ASSERT(v >= 0 && v <= int64_t(std::numeric_limits<uint32_t>::max()), what);
  return uint32_t(v);
}

// The shortest decimal that reads back as `f`, as a double: what a float32 key most likely said before it
// was narrowed (1e-06f -> 1e-06).
double decimal_of(float f) {
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf, f).ptr;
  double d = f;
  std::from_chars(buf, end, d);
  return d;
}

double float_key(const GgufFile& f, const char* key) {
  const GgufValue* v = f.find(key);
  if (v && v->type == GgufType::F32) return decimal_of(float(f.get_float(key)));
  return f.get_float(key);  // float64, or the getter's error
}

int64_t count_key(const GgufFile& f, const char* key) {
  const uint64_t v = f.get_uint(key);
  if (v > uint64_t(std::numeric_limits<int32_t>::max()))
    throw_error("{}: metadata key '{}' is {}, too large", f.path(), key, v);
  return int64_t(v);
}

int32_t id_key(const GgufFile& f, const char* key) {
  return f.has(key) ? int32_t(count_key(f, key)) : -1;
}

}  // namespace

std::string gguf_name_of(const std::string& hf_name) {
  return map_name<true>(hf_name);
}

std::string hf_name_of(const std::string& gguf_name) {
  return map_name<false>(gguf_name);
}

GgufMetadata dream_config_metadata(const ModelConfig& c, uint32_t file_type) {
  if (c.arch != Arch::Dream)
    throw_error("model_type '{}': only Dream models can be written as GGUF", c.model_type);
  GgufMetadata md;
  auto u32 = [&](const char* key, int64_t v) {
    md.emplace_back(key, GgufValue::scalar<uint32_t>(u32_field(v, key)));
  };
  md.emplace_back("general.architecture", GgufValue::string("dream"));
  md.emplace_back("general.file_type", GgufValue::scalar<uint32_t>(file_type));
  u32("dream.context_length", c.max_position_embeddings);
  u32("dream.embedding_length", c.hidden_size);
  u32("dream.feed_forward_length", c.intermediate_size);
  u32("dream.block_count", c.num_hidden_layers);
  u32("dream.attention.head_count", c.num_attention_heads);
  u32("dream.attention.head_count_kv", c.num_key_value_heads);
  u32("dream.attention.key_length", c.head_dim);
  u32("dream.attention.value_length", c.head_dim);
  u32("dream.vocab_size", c.vocab_size);
  md.emplace_back("dream.rope.freq_base", GgufValue::scalar<float>(float(c.rope_theta)));
  md.emplace_back("dream.attention.layer_norm_rms_epsilon", GgufValue::scalar<float>(float(c.rms_norm_eps)));
  md.emplace_back("dream.attention.causal", GgufValue::scalar<bool>(false));
  md.emplace_back("diffusion.shift_logits", GgufValue::scalar<bool>(true));
  if (c.bos_token_id >= 0) u32("dream.bos_token_id", c.bos_token_id);
  if (c.eos_token_id >= 0) u32("dream.eos_token_id", c.eos_token_id);
  if (c.pad_token_id >= 0) u32("dream.padding_token_id", c.pad_token_id);
  if (c.mask_token_id >= 0) u32("tokenizer.ggml.mask_token_id", c.mask_token_id);
  return md;
}

ModelConfig dream_config_from_gguf(const GgufFile& f) {
  const std::string arch = f.get_string("general.architecture");
  if (arch != "dream")
    throw_error("{}: general.architecture is '{}'; only 'dream' models are supported", f.path(),
                printable(arch));
  if (f.has("dream.attention.causal") && f.get_bool("dream.attention.causal"))
    throw_error("{}: dream.attention.causal is true, but Dream attention is bidirectional", f.path());
  if (f.has("diffusion.shift_logits") && !f.get_bool("diffusion.shift_logits"))
    throw_error("{}: diffusion.shift_logits is false, but Dream predicts position i from row i - 1",
                f.path());
  if (f.has("dream.rope.scaling.type") && f.get_string("dream.rope.scaling.type") != "none")
    throw_error("{}: RoPE scaling '{}' is not supported", f.path(),
                printable(f.get_string("dream.rope.scaling.type")));
  ModelConfig c;
  c.model_type = "Dream";
  c.arch = Arch::Dream;
  c.num_hidden_layers = count_key(f, "dream.block_count");
  c.hidden_size = count_key(f, "dream.embedding_length");
  c.intermediate_size = count_key(f, "dream.feed_forward_length");
  c.num_attention_heads = count_key(f, "dream.attention.head_count");
  c.num_key_value_heads = f.has("dream.attention.head_count_kv")
                              ? count_key(f, "dream.attention.head_count_kv")
                              : c.num_attention_heads;
  if (c.num_attention_heads == 0) throw_error("{}: dream.attention.head_count is 0", f.path());
  c.head_dim = f.has("dream.attention.key_length") ? count_key(f, "dream.attention.key_length")
                                                   : c.hidden_size / c.num_attention_heads;
  if (f.has("dream.attention.value_length") && count_key(f, "dream.attention.value_length") != c.head_dim)
    throw_error("{}: dream.attention.value_length {} differs from the key length {}", f.path(),
                count_key(f, "dream.attention.value_length"), c.head_dim);
  if (f.has("dream.context_length")) c.max_position_embeddings = count_key(f, "dream.context_length");
  if (f.has("dream.vocab_size")) {
    c.vocab_size = count_key(f, "dream.vocab_size");
  } else if (f.has_tensor("token_embd.weight")) {
    c.vocab_size = f.tensor("token_embd.weight").shape.at(0);
  } else {
    c.vocab_size = int64_t(f.get_string_array("tokenizer.ggml.tokens").size());
  }
  c.rope_theta = float_key(f, "dream.rope.freq_base");
  c.rms_norm_eps = float_key(f, "dream.attention.layer_norm_rms_epsilon");
  c.tie_word_embeddings = !f.has_tensor("output.weight");
  c.mask_token_id = id_key(f, "tokenizer.ggml.mask_token_id");
  c.bos_token_id = f.has("dream.bos_token_id") ? id_key(f, "dream.bos_token_id")
                                               : id_key(f, "tokenizer.ggml.bos_token_id");
  c.eos_token_id = f.has("dream.eos_token_id") ? id_key(f, "dream.eos_token_id")
                                               : id_key(f, "tokenizer.ggml.eos_token_id");
  c.pad_token_id = f.has("dream.padding_token_id") ? id_key(f, "dream.padding_token_id")
                                                   : id_key(f, "tokenizer.ggml.padding_token_id");
  if (f.has("general.file_type")) {
    const uint64_t ft = f.get_uint("general.file_type");
    c.torch_dtype = ft == kFileTypeF32    ? "float32"
                    : ft == kFileTypeF16  ? "float16"
                    : ft == kFileTypeBF16 ? "bfloat16"
                                          : "";
  }
  validate_model_config(c, f.path());
  return c;
}

GgufMetadata tokenizer_metadata(const tok::TokenizerSpec& spec, int64_t n_vocab) {
  const std::string& src = spec.vocab_source;
  if (!spec.nfc || spec.pattern != tok::kQwen2Pattern)
    throw_error("{}: only the Qwen2 pre-tokenizer (NFC + the Qwen2 split pattern) can be written as GGUF",
                src);
  int64_t n = n_vocab;
  for (const auto& [s, id] : spec.vocab) n = std::max<int64_t>(n, int64_t(id) + 1);
  for (const auto& a : spec.added) n = std::max<int64_t>(n, int64_t(a.id) + 1);
  std::vector<std::string> tokens(static_cast<size_t>(n));
  std::vector<int32_t> types(size_t(n), kUnused);
  for (const auto& [s, id] : spec.vocab) {
    if (types[size_t(id)] != kUnused)
      throw_error("{}: tokens '{}' and '{}' share id {}", src, printable(tokens[size_t(id)]), printable(s),
                  id);
    tokens[size_t(id)] = s;
    types[size_t(id)] = kNormal;
  }
  for (const auto& a : spec.added) {  // an added token spelled like a vocabulary entry takes its place
    tokens[size_t(a.id)] = a.content;
    types[size_t(a.id)] = a.special ? kControl : kUserDefined;
  }
  for (int64_t i = 0; i < n; ++i)
    if (types[size_t(i)] == kUnused) tokens[size_t(i)] = fmt::format("[PAD{}]", i);
  std::vector<std::string> merges;
  merges.reserve(spec.merges.size());
  for (const auto& [a, b] : spec.merges) merges.push_back(a + " " + b);

  GgufMetadata md;
  md.emplace_back("tokenizer.ggml.model", GgufValue::string("gpt2"));
  md.emplace_back("tokenizer.ggml.pre", GgufValue::string("qwen2"));
  md.emplace_back("tokenizer.ggml.tokens", GgufValue::array(tokens));
  md.emplace_back("tokenizer.ggml.token_type", GgufValue::array<int32_t>(types));
  md.emplace_back("tokenizer.ggml.merges", GgufValue::array(merges));
  // Role tokens by spelling: added tokens first (they take precedence when matching text), then the
  // vocabulary.
  auto id_of = [&](const std::string& s) -> int64_t {
    for (const auto& a : spec.added)
      if (a.content == s) return a.id;
    auto it = spec.vocab.find(s);
    if (it == spec.vocab.end())
      throw_error("{}: role token '{}' is not in the vocabulary", spec.special_source, printable(s));
    return it->second;
  };
  const std::pair<const char*, const std::optional<std::string>*> roles[] = {
      {"tokenizer.ggml.bos_token_id", &spec.bos},
      {"tokenizer.ggml.eos_token_id", &spec.eos},
      {"tokenizer.ggml.padding_token_id", &spec.pad},
      {"tokenizer.ggml.unknown_token_id", &spec.unk}};
  for (const auto& [key, role] : roles)
    if (*role) md.emplace_back(key, GgufValue::scalar<uint32_t>(uint32_t(id_of(**role))));
  md.emplace_back("tokenizer.ggml.add_bos_token", GgufValue::scalar<bool>(false));
  return md;
}

tok::TokenizerSpec tokenizer_spec_from_gguf(const GgufFile& f) {
  const std::string model = f.get_string("tokenizer.ggml.model");
  if (model != "gpt2")
    throw_error("{}: tokenizer.ggml.model '{}' is not supported (only gpt2, byte-level BPE)", f.path(),
                printable(model));
  const std::string pre = f.has("tokenizer.ggml.pre") ? f.get_string("tokenizer.ggml.pre") : "";
  if (pre != "qwen2")
    throw_error("{}: tokenizer.ggml.pre '{}' is not supported (only qwen2)", f.path(), printable(pre));
  const std::vector<std::string> tokens = f.get_string_array("tokenizer.ggml.tokens");
  std::vector<int64_t> types(tokens.size(), kNormal);
  if (f.has("tokenizer.ggml.token_type")) {
    types = f.get_int_array("tokenizer.ggml.token_type");
    if (types.size() != tokens.size())
      throw_error("{}: tokenizer.ggml.token_type has {} entries for {} tokens", f.path(), types.size(),
                  tokens.size());
  }
  if (tokens.size() > size_t(1) << 24)
    throw_error("{}: {} tokens are more than this engine's 16777216", f.path(), tokens.size());

  tok::TokenizerSpec spec;
  spec.vocab_source = spec.merges_source = spec.added_source = spec.special_source = f.path();
  spec.nfc = true;
  spec.pattern = tok::kQwen2Pattern;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto id = int32_t(i);
    switch (types[i]) {
      case kUndefined:
      case kNormal:
      case kUnknown:
      case kByte:
        spec.vocab.emplace(tokens[i], id);
        break;
      case kControl:
      case kUserDefined: {
        if (tokens[i].empty()) throw_error("{}: added token {} is the empty string", f.path(), i);
        tok::AddedToken a;
        a.content = tokens[i];
        a.id = id;
        a.special = types[i] == kControl;
        spec.added.push_back(std::move(a));
        break;
      }
      case kUnused:
        break;
      default:
        throw_error("{}: token {} has unknown token type {}", f.path(), i, types[i]);
    }
  }
  if (f.has("tokenizer.ggml.merges")) {
    const std::vector<std::string> merges = f.get_string_array("tokenizer.ggml.merges");
    spec.merges.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i)
      spec.merges.push_back(
          tok::split_merge(merges[i], fmt::format("{} (tokenizer.ggml.merges[{}])", f.path(), i)));
  }
  const std::pair<const char*, std::optional<std::string>*> roles[] = {
      {"tokenizer.ggml.bos_token_id", &spec.bos},
      {"tokenizer.ggml.eos_token_id", &spec.eos},
      {"tokenizer.ggml.padding_token_id", &spec.pad},
      {"tokenizer.ggml.mask_token_id", &spec.mask},
      {"tokenizer.ggml.unknown_token_id", &spec.unk}};
  for (const auto& [key, role] : roles) {
    if (!f.has(key)) continue;
    const uint64_t id = f.get_uint(key);
    if (id >= tokens.size() || types[size_t(id)] == kUnused)
      throw_error("{}: {} {} names no token ({} tokens)", f.path(), key, id, tokens.size());
    *role = tokens[size_t(id)];
  }
  return spec;
}

}  // namespace dc
