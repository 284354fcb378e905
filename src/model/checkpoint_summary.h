// Human-readable summaries of checkpoints, GGUF files and safetensors files (for `diffucoder inspect`): the
// config, then one line per tensor (name, dtype, shape, shard, size), totals, and tensors the Dream model
// does not use. Reads only headers: nothing here touches tensor data.
#pragma once

#include <string>

#include "model/checkpoint.h"
#include "model/safetensors.h"

namespace dc {

std::string describe_checkpoint(const Checkpoint& ckpt);
std::string describe_safetensors_file(const SafetensorsFile& file);
// The GGUF header: version, counts, alignment, and one line per metadata key (arrays by type and length).
std::string describe_gguf_metadata(const GgufFile& file);

// Opens `path` (a checkpoint folder, a GGUF file or a folder holding one, or a single .safetensors file)
// and describes it. Throws dc::Error.
std::string describe_model_path(const std::string& path);

}  // namespace dc
