// `diffucoder convert --model DIR --to gguf --out FILE [--type f32|f16|bf16] [--force]`: writes a Hugging
// Face Dream checkpoint folder as one GGUF v3 file (model/gguf_convert.h) that this engine and llama.cpp's
// diffusion CLI load. Never overwrites an existing file unless --force.
#include <cstdio>
#include <memory>
#include <string>

#include "cli.h"
#include "core/error.h"
#include "model/gguf_convert.h"

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
  dc::DType type = dc::DType::BF16;
  if (o.type == "f32") {
    type = dc::DType::F32;
  } else if (o.type == "f16") {
    type = dc::DType::F16;
  } else if (o.type != "bf16") {
    dc::throw_error("--type '{}': expected f32, f16 or bf16", o.type);
  }
  const dc::GgufConvertStats s = dc::convert_to_gguf(o.model, o.out, type, o.force);
  std::printf("wrote %s: %zu tensors (%.3f MB of %s matrices, F32 norms and biases), %lld tokens\n",
              o.out.c_str(), s.tensors, double(s.bytes) / 1e6, o.type.c_str(), (long long)s.tokens);
}

}  // namespace

DC_SUBCOMMAND("convert", [](CLI::App& app) {
  auto* sub = app.add_subcommand("convert", "Write a checkpoint folder as a GGUF file");
  auto o = std::make_shared<ConvertOptions>();
  sub->add_option("--model", o->model, "checkpoint folder (config.json, safetensors, tokenizer files)")
      ->required();
  sub->add_option("--to", o->to, "output format: gguf")->required();
  sub->add_option("--out", o->out, "output file")->required();
  sub->add_option("--type", o->type, "matrix type: f32, f16 or bf16 (default bf16)");
  sub->add_flag("--force", o->force, "overwrite an existing output file");
  sub->callback([o] { run_convert(*o); });
});
