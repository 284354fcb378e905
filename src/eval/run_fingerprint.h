// The fingerprint of a model run of `eval`: what the samples in an --out-dir were generated with (the
// model's files by name, size and modification time, and every setting that changes a sample). It is kept
// beside the samples (NAME.samples.jsonl -> NAME.generation.json) so that a re-run resumes only samples of
// the same model and settings; n (more samples per task) and the batch size may change.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "decode/params.h"

namespace dc::eval {

// {"model": absolute folder, "files": [{"name", "bytes", "mtime_ns"}] of its *.safetensors and *.json
// (sorted by name), "chat", "alg", "steps", "max_new_tokens", "temperature", "top_p", "top_k", "alg_temp",
// "eps", "block_length", "seed"}. Throws dc::Error when the folder cannot be listed.
nlohmann::json generation_fingerprint(const std::string& model_dir, const GenerationParams& p, bool chat);

// Where the fingerprint of a samples file lives: "X.samples.jsonl" -> "X.generation.json" (any other name
// gets ".generation.json" appended).
std::string fingerprint_path(const std::string& samples_path);

// Refuses to mix samples of different models or settings: when `samples_path` exists and its fingerprint
// file differs from `now`, throws dc::Error naming the samples file, the keys that differ and the
// fingerprint file. Otherwise (re)writes the fingerprint file with `now`.
void check_generation_fingerprint(const std::string& samples_path, const nlohmann::json& now);

}  // namespace dc::eval
