// A random LLaDA model folder for tests that need a whole model with a tokenizer: a 2-block LLaDA
// checkpoint (d_model 64, 1,024 rows) with the tiny test tokenizer plus LLaDA's special tokens, and no
// mask_token_id in config.json (so <|mdm_mask|> is found by its spelling).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/mapped_file.h"
#include "model/config.h"
#include "model/random_checkpoint.h"

namespace dc::testing {

// LLaDA's special tokens, added to the tiny tokenizer after its own (ids 1006..1010).
inline const char* const kLladaSpecials[] = {"<|startoftext|>", "<|start_header_id|>", "<|end_header_id|>",
                                             "<|eot_id|>", "<|mdm_mask|>"};

// A random LLaDA checkpoint (2 blocks, d_model 64) with the tiny tokenizer plus LLaDA's special tokens and no
// mask_token_id in config.json (so <|mdm_mask|> is found by its spelling), written once per test process.
inline std::string random_llada_model(const std::string& scratch) {
  namespace fs = std::filesystem;
  const std::string tiny_dream = std::string(DC_TESTDATA_DIR) + "/tiny-dream";
  // One folder per test process: ctest runs the tests of this file in parallel.
  const std::string dir = std::string(DC_BINARY_DIR) + "/" + scratch + "/model-" + std::to_string(::getpid());
  if (fs::exists(dir + "/tokenizer_config.json")) return dir;
  fs::create_directories(dir);
  nlohmann::json j =
      nlohmann::json::parse(read_file(std::string(DC_TESTDATA_DIR) + "/tiny-llada/config.json"));
  j["vocab_size"] = 1024;
  j["embedding_size"] = 1024;
  j.erase("mask_token_id");
  j["eos_token_id"] = 1000;
  j["pad_token_id"] = 1000;
  const ModelConfig cfg = parse_model_config(j.dump(), "llada test config");
  write_random_checkpoint(dir, cfg, DType::F32, 11, 1);
  for (const char* f : {"merges.txt", "special_tokens_map.json", "vocab.json"})
    fs::copy_file(tiny_dream + "/" + f, dir + "/" + f, fs::copy_options::overwrite_existing);
  nlohmann::json added = nlohmann::json::parse(read_file(tiny_dream + "/added_tokens.json"));
  nlohmann::json tc = nlohmann::json::parse(read_file(tiny_dream + "/tokenizer_config.json"));
  int id = 1006;
  for (const char* t : kLladaSpecials) {
    added[t] = id;
    tc["added_tokens_decoder"][std::to_string(id)] = {{"content", t},         {"lstrip", false},
                                                      {"normalized", false},  {"rstrip", false},
                                                      {"single_word", false}, {"special", true}};
    ++id;
  }
  write_file_atomic(dir + "/added_tokens.json", added.dump(2));
  write_file_atomic(dir + "/tokenizer_config.json", tc.dump(2));
  return dir;
}

}  // namespace dc::testing
