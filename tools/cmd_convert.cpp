// `diffucoder convert --model DIR --to gguf --out FILE [--type f32|f16|bf16|q8_0|q4_0|q4_k] [--force]`:
// writes a Hugging Face Dream checkpoint folder as one GGUF v3 file (model/gguf_convert.h) that this engine
// and llama.cpp's diffusion CLI load. Never overwrites an existing file unless --force.
#include <cstdio>
#include <memory>
#include <string>

#include "cli.h"
#include "core/error.h"
#include "model/gguf_convert.h"
#include "model/quant_plan.h"

namespace {

struct ConvertOptions {
  std::string model;
  std::string to;
  std::string out;
  std::string type = "bf16";
  bool force = false;
};

void run_convert(const ConvertOptions& o) {
  if (o.to != "gguf") dc::throw_error("--to '{}': the only target format is gguf", o.to);
  const dc::DType type = dc::parse_model_target_type(o.type, "f32, f16, bf16, q8_0, q4_0 or q4_k");
  const dc::GgufConvertStats s = dc::convert_to_gguf(o.model, o.out, type, o.force);
  std::printf("wrote %s: %s\n", o.out.c_str(), dc::describe_conversion(s).c_str());
}

}  // namespace

DC_SUBCOMMAND("convert", [](CLI::App& app) {
  auto* sub = app.add_subcommand("convert", "Write a checkpoint folder as a GGUF file");
  auto o = std::make_shared<ConvertOptions>();
  sub->add_option("--model", o->model, "checkpoint folder (config.json, safetensors, tokenizer files)")
      ->required();
  sub->add_option("--to", o->to, "output format: gguf")->required();
  sub->add_option("--out", o->out, "output file")->required();
  sub->add_option("--type", o->type,
                  "matrix type: f32, f16, bf16, q8_0, q4_0 or q4_k (4-bit: the head at q6_k; default bf16)");
  sub->add_flag("--force", o->force, "overwrite an existing output file");
  sub->callback([o] { run_convert(*o); });
});
