// `diffucoder quantize --model DIR --type q8_0|q4_0|q4_k --out DIR [--force]`: writes a quantized copy of a
// checkpoint folder as OUT/model.gguf (model/gguf_convert.h, type rules in model/quant_plan.h). The output
// folder is a model folder like any other: `--model OUT` loads it.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli.h"
#include "core/error.h"
#include "model/gguf_convert.h"
#include "model/quant_plan.h"

namespace {

struct QuantizeOptions {
  std::string model;
  std::string type;
  std::string out;
  bool force = false;
};

void run_quantize(const QuantizeOptions& o) {
  const dc::DType type = dc::parse_model_target_type(o.type, "q8_0, q4_0 or q4_k");
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  if (ec) dc::throw_error("{}: cannot create the output folder: {}", o.out, ec.message());
  const std::string file = (std::filesystem::path(o.out) / "model.gguf").string();
  const dc::GgufConvertStats s = dc::convert_to_gguf(o.model, file, type, o.force);
  std::printf("wrote %s: %s\n", file.c_str(), dc::describe_conversion(s).c_str());
}

}  // namespace

DC_SUBCOMMAND("quantize", [](CLI::App& app) {
  auto* sub = app.add_subcommand("quantize", "Write a quantized copy of a checkpoint (OUT/model.gguf)");
  auto o = std::make_shared<QuantizeOptions>();
  sub->add_option("--model", o->model, "checkpoint folder (config.json, safetensors, tokenizer files)")
      ->required();
  sub->add_option("--type", o->type, "q8_0 (8-bit), q4_0 or q4_k (4-bit; the output head at q6_k)")
      ->required();
  sub->add_option("--out", o->out, "output folder (created; holds model.gguf)")->required();
  sub->add_flag("--force", o->force, "overwrite an existing OUT/model.gguf");
  sub->callback([o] { run_quantize(*o); });
});
