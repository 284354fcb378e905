// `diffucoder inspect --model PATH`: validates a checkpoint folder (config.json + safetensors, sharded or
// not), a GGUF file, or a single .safetensors file and prints its config (and GGUF metadata) and tensor
// table. Reads headers only.
#include <cstdio>
#include <string>

#include "cli.h"
#include "model/checkpoint_summary.h"

DC_SUBCOMMAND("inspect", [](CLI::App& app) {
  auto* sub = app.add_subcommand(
      "inspect", "Validate a checkpoint (folder, .gguf or .safetensors file) and print its tensors");
  auto model = std::make_shared<std::string>();
  sub->add_option("--model", *model, "checkpoint folder, .gguf file or .safetensors file")->required();
  sub->callback([model] {
    const std::string text = dc::describe_model_path(*model);
    std::fwrite(text.data(), 1, text.size(), stdout);
  });
});
