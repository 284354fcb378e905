// `diffucoder generate`: diffusion decoding of one prompt, a batch file of prompts, or stdin.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "core/thread_pool.h"
#include "generate/batch_file.h"
#include "generate/canvas_view.h"
#include "generate/text_generator.h"
#include "generation_flags.h"
#include "kernels/ops.h"
#include "model_path.h"

namespace dc::cli {
namespace {

struct GenerateOptions {
  std::string model, prompt, prompt_file, batch_file, system = "You are a helpful assistant.";
  bool chat = false, visual = false, json = false;
  int threads = 0, batch_size = 4;
  GenerationFlags generation;
};

std::vector<TextRequest> collect_requests(const GenerateOptions& o) {
  TextRequest r;
  r.chat = o.chat;
  r.system = o.system;
  if (!o.batch_file.empty()) return read_batch_file(o.batch_file, r);
  if (!o.prompt.empty()) {
    r.prompt = o.prompt;
  } else if (!o.prompt_file.empty()) {
    r.prompt = read_file(o.prompt_file);
  } else {
    if (isatty(STDIN_FILENO))
      throw_error("no prompt: give --prompt, --prompt-file, --batch-file or text on standard input");
    r.prompt.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  if (r.prompt.empty()) throw_error("the prompt is empty");
  return {r};
}

void run_generate(GenerateOptions o) {
  set_num_threads(o.threads);
  const GenerationParams params = o.generation.resolve();
  const std::string model_dir = resolve_model_dir(o.model);
  std::vector<TextRequest> requests = collect_requests(o);
  TextGenerator gen(model_dir);

  FILE* view_out = o.json ? stderr : stdout;
  const bool tty = isatty(fileno(view_out));
  StepCallback on_step;
  if (o.visual) {
    on_step = [&](const StepEvent& ev) {
      // On a terminal redraw every step; otherwise print four snapshots.
      const bool snapshot = tty || (ev.step + 1) * 4 % ev.steps < 4 || ev.step + 1 == ev.steps;
      if (!snapshot) return;
      CanvasViewStyle style;
      style.color = tty;
      std::string frame = tty ? "\x1b[H\x1b[2J" : "";
      frame += fmt::format("step {}/{}\n", ev.step + 1, ev.steps);
      const int64_t L = ev.length - ev.prompt_length;
      for (int64_t b = 0; b < ev.batch; ++b) {
        std::span<const int32_t> gen_slots = ev.canvas.subspan(b * ev.length + ev.prompt_length, L);
        std::vector<uint8_t> fresh(L, 0);
        for (const CommitRef& c : ev.committed)
          if (c.row == b && c.position >= ev.prompt_length) fresh[c.position - ev.prompt_length] = 1;
        frame += render_canvas(gen.tokenizer(), gen_slots, fresh, gen.special().mask, style);
        frame += "\n";
        if (b + 1 < ev.batch) frame += "----\n";
      }
      std::fputs(frame.c_str(), view_out);
      std::fflush(view_out);
    };
  }
  std::vector<TextResult> results = gen.generate(requests, params, o.batch_size, on_step);

  double seconds = 0;
  int64_t tokens = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const TextResult& r = results[i];
    if (i % size_t(o.batch_size) == 0) seconds += r.stats.seconds;  // once per batch
    tokens += int64_t(r.tokens.size());
    if (o.json) {
      std::cout << text_result_json(r) << "\n";
    } else {
      if (results.size() > 1) std::cout << "=== prompt " << i + 1 << "\n";
      if (!requests[i].chat) std::cout << requests[i].prompt;
      std::cout << r.text << "\n";
    }
  }
  std::cout.flush();
  std::fprintf(
      stderr, "diffucoder: %lld tokens, %d steps, %.2f s, %.1f tokens/s (%zu prompt%s, %d threads, %s)\n",
      (long long)tokens, params.steps, seconds, seconds > 0 ? double(tokens) / seconds : 0.0, results.size(),
      results.size() == 1 ? "" : "s", global_pool().size(), kernels::isa_name(kernels::active_isa()));
}

DC_SUBCOMMAND("generate", [](CLI::App& app) {
  auto o = std::make_shared<GenerateOptions>();
  o->generation.params.max_new_tokens = 256;
  o->generation.params.temperature = 0.2f;
  o->generation.params.top_p = 0.95f;
  auto* sub = app.add_subcommand("generate", "Generate text by masked diffusion");
  sub->add_option("--model", o->model, "Model folder (config.json, safetensors, tokenizer files)");
  sub->add_option("--prompt", o->prompt, "Prompt text");
  sub->add_option("--prompt-file", o->prompt_file, "Read the prompt from a file");
  sub->add_option("--batch-file", o->batch_file, "JSON lines, one {\"prompt\": ...} per line");
  sub->add_option("--batch-size", o->batch_size, "Prompts decoded together (left-padded)")
      ->capture_default_str();
  sub->add_flag("--chat", o->chat, "Wrap the prompt in the instruct chat format");
  sub->add_option("--system", o->system, "System message for --chat")->capture_default_str();
  add_generation_flags(sub, o->generation);
  sub->add_option("--threads", o->threads, "Threads (0: all cores)")->capture_default_str();
  sub->add_flag("--visual", o->visual, "Show the canvas being denoised");
  sub->add_flag("--json", o->json, "One JSON object per prompt on stdout");
  sub->callback([o] { run_generate(*o); });
});

}  // namespace
}  // namespace dc::cli
