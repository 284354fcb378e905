// libFuzzer target: parse_model_config on arbitrary text (Dream and LLaDA configs: seeds of both). Any input
// must either be rejected with a one-line dc::Error or give a config that passes validate_model_config and
// survives a round trip through model_config_to_json unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/error.h"
#include "model/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  dc::ModelConfig c;
  try {
    c = dc::parse_model_config(text, "fuzz.json");
  } catch (const dc::Error& e) {
    if (std::string(e.what()).find('\n') != std::string::npos) std::abort();  // messages are one line
    return 0;
  }
  dc::validate_model_config(c, "fuzz.json");  // throwing here would escape: a finding
  dc::ModelConfig r = dc::parse_model_config(dc::model_config_to_json(c), "roundtrip.json");
  if (r.model_type != c.model_type || r.arch != c.arch || r.text_vocab_size != c.text_vocab_size ||
      r.hidden_size != c.hidden_size || r.num_hidden_layers != c.num_hidden_layers ||
      r.num_attention_heads != c.num_attention_heads || r.num_key_value_heads != c.num_key_value_heads ||
      r.head_dim != c.head_dim || r.intermediate_size != c.intermediate_size ||
      r.vocab_size != c.vocab_size || r.max_position_embeddings != c.max_position_embeddings ||
      r.rms_norm_eps != c.rms_norm_eps || r.rope_theta != c.rope_theta ||
      r.tie_word_embeddings != c.tie_word_embeddings || r.mask_token_id != c.mask_token_id ||
      r.pad_token_id != c.pad_token_id || r.bos_token_id != c.bos_token_id ||
      r.eos_token_id != c.eos_token_id || r.torch_dtype != c.torch_dtype)
    std::abort();
  return 0;
}
