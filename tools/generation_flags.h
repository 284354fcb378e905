// The generation flags shared by `generate`, `eval`, `analyze` and `grpo`: one definition of each
// (--max-new-tokens, --steps, --alg, --alg-temp, --temperature, --top-p, --top-k, --block-length, --eps,
// --seed), resolved and validated before any model is loaded.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "decode/params.h"
#include "model/architecture.h"

namespace dc::cli {

// Which flags a command takes, and under what names where they differ.
struct GenerationFlagSet {
  std::string steps_flag = "--steps";  // "" = no steps flag: steps = max-new-tokens (one token per step)
  bool temperature = true;             // false: the command defines its own (analyze takes several)
  bool seed = true;                    // false: the command's --seed means more than the sampler's
  std::string seed_help = "Random seed";
  // --precision, --early-stop (generate and eval; not analyses or RL)
  bool fast = true;
  // --cache (generate, eval and RL rollouts; not analyses)
  bool cache = true;
  // --threshold, --factor: parallel commits, which need nothing of the model (also RL rollouts)
  bool parallel = true;
};

struct GenerationFlags {
  GenerationParams params;  // defaults: set the fields before add_generation_flags to change them
  std::string alg = "entropy";
  const CLI::Option* steps = nullptr;
  const CLI::Option* alg_flag = nullptr;
  const CLI::Option* block_flag = nullptr;
  std::string cache = "none";       // --cache
  std::string precision = "exact";  // --precision

  // --alg parsed, steps = max-new-tokens unless given, every field validated. Throws dc::Error (one line).
  // For a model of another architecture than Dream, whose defaults the flags carry, the architecture's
  // own defaults (architecture.h; LLaDA: low_confidence in blocks of 32) replace --alg and --block-length
  // when they were not given; the block length falls back to one block when 32 does not divide
  // --max-new-tokens.
  GenerationParams resolve(Arch arch = Arch::Dream) const;
};

void add_generation_flags(CLI::App* sub, GenerationFlags& g, const GenerationFlagSet& which = {});

}  // namespace dc::cli
