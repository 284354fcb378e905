// The output folder of a resumable run (training, SFT, reinforcement learning), shared by the loops:
//   OUT/checkpoint-<step>/  whatever the loop writes (model folder, optimizer moments, its state JSON)
//   OUT/latest              the name of the newest complete checkpoint folder (replaced atomically)
//   OUT/metrics.jsonl       one JSON object per line, each with a "step"
// A checkpoint is filled in a temporary folder, renamed into place, then `latest` is replaced and older
// checkpoint folders are removed: a kill at any point leaves `latest` naming a complete one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dtype.h"
#include "model/training_pass.h"
#include "train/adamw.h"

namespace dc::train {

// The folder OUT/latest names (absolute path), or "" when there is none.
std::string latest_checkpoint(const std::string& out_dir);

// Writes checkpoint-<step> through fill(temporary folder), publishes it and removes older ones. Returns
// its absolute path.
std::string publish_checkpoint(const std::string& out_dir, int64_t step,
                               const std::function<void(const std::string& dir)>& fill);

// Writes config.json + model.safetensors (+ tokenizer files from tokenizer_dir) into `dir` (created).
void write_model_folder(const std::string& dir, const ModelParams& p, DType dtype,
                        const std::string& tokenizer_dir);

// DIR/optimizer.safetensors (AdamW moments "m.<name>", "v.<name>") and DIR/<state_file> (the loop's state).
void write_optimizer_state(const std::string& dir, AdamW& opt, const nlohmann::json& state,
                           const std::string& state_file = "trainer_state.json");
void load_optimizer_moments(const std::string& path, AdamW& opt);

// Fills every tensor of `p` from the F32 tensor "<prefix><name>" of the safetensors file `path` (a
// reference model, optimizer moments); throws dc::Error naming the file for a missing tensor or another
// dtype or shape.
void load_f32_tensors(const std::string& path, const std::string& prefix, ModelParams& p);

// Checks that the state saved in a checkpoint has the same values as `expected` for each of its keys
// (what a resumed run must share with the one that wrote it); throws dc::Error naming the first mismatch.
void check_resume_state(const std::string& state_path, const nlohmann::json& state,
                        const nlohmann::json& expected);

// Rewrites OUT/metrics.jsonl keeping only the lines of steps <= step (a killed run may have logged more)
// and returns them.
std::vector<nlohmann::json> keep_metrics_until(const std::string& metrics_path, int64_t step);

// "HH:MM:SS" for a duration in seconds (ETA on progress lines).
std::string hms(double seconds);

}  // namespace dc::train
