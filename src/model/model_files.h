// Where a model's parts live, given the path the user names (--model): a Hugging Face folder
// (config.json, safetensors, tokenizer files) or a GGUF file that holds all three (SPEC §10). A path is a
// GGUF model when it is a file named *.gguf or starting with the GGUF magic, or a folder with exactly one
// *.gguf and no model.safetensors / model.safetensors.index.json (a folder with both is the safetensors
// checkpoint, as before).
#pragma once

#include <string>

#include "model/config.h"
#include "tokenizer/tokenizer.h"

namespace dc {

// The GGUF file `path` stands for, or "" for a Hugging Face folder. Throws dc::Error for a folder
// holding several .gguf files and no safetensors (which one is meant is unclear).
std::string find_gguf(const std::string& path);

// The model's config: from the GGUF metadata, or from the folder's config.json. Reads no tensor data.
ModelConfig load_model_config_at(const std::string& path);

// The model's tokenizer: from the GGUF metadata (tokenizer.ggml.*), or Tokenizer::load(path).
Tokenizer load_model_tokenizer(const std::string& path);

}  // namespace dc
