// The Dream architecture in GGUF (SPEC §10), as llama.cpp's converter writes it and its diffusion CLI reads
// it: hyper-parameters under `dream.*`, tensors under ggml names, the tokenizer under `tokenizer.ggml.*`.
//
//  * Config: general.architecture "dream"; dream.block_count (L), .embedding_length (C),
//    .feed_forward_length (F), .attention.head_count (H), .attention.head_count_kv (Hkv),
//    .attention.key_length / .value_length (D), .context_length, .vocab_size (V), .rope.freq_base and
//    .attention.layer_norm_rms_epsilon (float32), .attention.causal = false; tokenizer.ggml.mask_token_id
//    (uint32). Tied embeddings are not a key: they are the absence of output.weight, as in llama.cpp.
//    config.json's bos/eos/pad ids can differ from the tokenizer's role tokens (DiffuCoder: pad 151643 in
//    the config, <|dlm_pad|> in the tokenizer), so they are kept in dream.bos_token_id, .eos_token_id and
//    .padding_token_id (uint32; keys llama.cpp ignores); a file without them takes the tokenizer's.
//    Floats are stored as float32, so a value read back is the shortest decimal that round-trips the float
//    (1e-6 stays 1e-6, not 9.99999997e-07). diffusion.shift_logits, when present, must be true (Dream
//    predicts position i from row i - 1); a causal file is rejected.
//  * Tensors: model.embed_tokens <-> token_embd, model.layers.N.input_layernorm <-> blk.N.attn_norm,
//    self_attn.{q,k,v}_proj <-> attn_{q,k,v} (weight and bias), self_attn.o_proj <-> attn_output,
//    post_attention_layernorm <-> ffn_norm, mlp.{gate,up,down}_proj <-> ffn_{gate,up,down}, model.norm <->
//    output_norm, lm_head <-> output. Values are copied unchanged: Dream's rotate-half (NeoX) RoPE needs no
//    q/k row permutation (llama.cpp permutes only for its interleaved-RoPE LLaMA layout).
//  * Tokenizer: tokenizer.ggml.model "gpt2", .pre "qwen2", .tokens (one per id, V of them: ids no token
//    uses are "[PAD<id>]" of type UNUSED), .token_type (int32: 1 normal, 3 control = special added token,
//    4 user-defined = other added token, 5 unused), .merges ("a b"), .bos/.eos/.padding/.unknown_token_id
//    (the tokenizer's role tokens), .add_bos_token false. Added-token flags other than `special` (lstrip,
//    rstrip, single_word, normalized) have no GGUF key: tokens read back match the raw text, as Qwen2's do.
#pragma once

#include <string>

#include "model/config.h"
#include "model/gguf.h"
#include "tokenizer/loader.h"

namespace dc {

// Name maps; both return "" for a name outside the table (e.g. rotary_emb.inv_freq).
std::string gguf_name_of(const std::string& hf_name);
std::string hf_name_of(const std::string& gguf_name);

// `dream.*` keys (and general.architecture, tokenizer.ggml.mask_token_id) for `cfg`. `file_type` is
// llama.cpp's general.file_type (0 all F32, 1 mostly F16, 32 mostly BF16), from which torch_dtype is read
// back. Throws dc::Error for an architecture other than Dream.
GgufMetadata dream_config_metadata(const ModelConfig& cfg, uint32_t file_type);
// The config of a Dream GGUF (validated like config.json). Throws dc::Error naming the file.
ModelConfig dream_config_from_gguf(const GgufFile& f);

// `tokenizer.ggml.*` keys for `spec` (a Qwen2 byte-level BPE) with `n_vocab` token slots (the model's
// rows; more if the tokenizer has more ids). The mask id is the model's: dream_config_metadata writes it.
// Throws dc::Error for a tokenizer GGUF cannot describe.
GgufMetadata tokenizer_metadata(const tok::TokenizerSpec& spec, int64_t n_vocab);
// The tokenizer description held in a GGUF file. Throws dc::Error naming the file.
tok::TokenizerSpec tokenizer_spec_from_gguf(const GgufFile& f);

}  // namespace dc
