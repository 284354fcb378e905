// `diffucoder generate`: diffusion decoding of one prompt, a batch file of prompts, or stdin.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>

#include "api/engine_impl.h"
#include "cli.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "core/thread_pool.h"
#include "flag_checks.h"
#include "generate/batch_file.h"
#include "generate/canvas_view.h"
#include "generate/text_generator.h"
#include "generation_flags.h"
#include "kernels/ops.h"
#include "model_path.h"

namespace dc::cli {
namespace {

struct GenerateOptions {
  std::string model, prompt, prompt_file, batch_file, system;
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

// --visual: the generated slots of each row after a step, the ones this step filled highlighted. On a
// terminal every step redraws the screen; otherwise four snapshots are printed.
class CanvasView {
 public:
  struct Row {
    std::span<const int32_t> slots;
    std::vector<uint8_t> fresh;  // 1 where this step committed
  };

  CanvasView(FILE* out, const TextGenerator& gen)
      : out_(out), tty_(isatty(fileno(out))), tok_(gen.tokenizer()), mask_(gen.special().mask) {}

  // `done`: steps run so far (1 .. steps).
  void show(int done, int steps, const std::vector<Row>& rows) const {
    const bool snapshot = tty_ || done * 4 % steps < 4 || done == steps;
    if (!snapshot) return;
    CanvasViewStyle style;
    style.color = tty_;
    std::string frame = tty_ ? "\x1b[H\x1b[2J" : "";
    frame += fmt::format("step {}/{}\n", done, steps);
    for (size_t b = 0; b < rows.size(); ++b) {
      frame += render_canvas(tok_, rows[b].slots, rows[b].fresh, mask_, style);
      frame += "\n";
      if (b + 1 < rows.size()) frame += "----\n";
    }
    std::fputs(frame.c_str(), out_);
    std::fflush(out_);
  }

 private:
  FILE* out_;
  bool tty_;
  const Tokenizer& tok_;
  int32_t mask_;
};

// The public request (diffucoder/diffucoder.h) for one prompt with the resolved flags.
diffucoder::GenerateRequest public_request(const TextRequest& r, const GenerationParams& p) {
  diffucoder::GenerateRequest q;
  q.prompt = r.prompt;
  q.chat = r.chat;
  q.system = r.system;
  q.max_new_tokens = p.max_new_tokens;
  q.steps = p.steps;
  q.algorithm = std::string(alg_name(p.alg));
  q.temperature = p.temperature;
  q.top_p = p.top_p;
  q.top_k = p.top_k;
  q.alg_temp = p.alg_temp;
  q.eps = p.eps;
  q.block_length = p.block_length;
  q.seed = p.seed;
  q.threshold = p.threshold;
  q.factor = p.factor;
  q.early_stop = p.early_stop;
  q.cache = std::string(cache_name(p.cache));
  q.precision = std::string(precision_name(p.precision));
  return q;
}

// What is printed of one answer, and what the closing summary line counts.
struct Answer {
  std::string text, json;
  double seconds = 0;         // of its batch (0 for the batch's other answers: counted once)
  int steps = 0;              // steps its batch ran (idem)
  int64_t tokens = 0;         // generated slots
  int64_t answer_tokens = 0;  // the slots that make `text`
};

// One prompt through the public engine.
Answer generate_one(diffucoder::Engine& engine, const TextRequest& r, const GenerationParams& p,
                    const CanvasView* view) {
  diffucoder::StepCallback on_step;
  if (view) {
    on_step = [view](const diffucoder::Step& s) {
      CanvasView::Row row{s.tokens, std::vector<uint8_t>(s.tokens.size(), 0)};
      for (const int32_t i : s.committed) row.fresh[size_t(i)] = 1;
      view->show(s.step, s.total_steps, {row});
      return true;
    };
  }
  diffucoder::GenerateResponse res = engine.generate(public_request(r, p), on_step);
  return {std::move(res.text), std::move(res.json),        res.seconds,
          res.steps_run,       int64_t(res.tokens.size()), int64_t(res.answer_tokens.size())};
}

// A batch file: `batch_size` prompts decoded together (left-padded) by the text pipeline under the engine.
std::vector<Answer> generate_batches(TextGenerator& gen, const std::vector<TextRequest>& requests,
                                     const GenerationParams& p, int batch_size, const CanvasView* view) {
  StepCallback on_step;
  if (view) {
    on_step = [view](const StepEvent& ev) {
      const int64_t L = ev.length - ev.prompt_length;
      std::vector<CanvasView::Row> rows;
      for (int64_t b = 0; b < ev.batch; ++b) {
        CanvasView::Row row{ev.canvas.subspan(b * ev.length + ev.prompt_length, L),
                            std::vector<uint8_t>(L, 0)};
        for (const CommitRef& c : ev.committed)
          if (c.row == b && c.position >= ev.prompt_length) row.fresh[c.position - ev.prompt_length] = 1;
        rows.push_back(std::move(row));
      }
      view->show(ev.step + 1, ev.steps, rows);
    };
  }
  std::vector<Answer> out;
  const std::vector<TextResult> results = gen.generate(requests, p, batch_size, on_step);
  for (size_t i = 0; i < results.size(); ++i) {
    const TextResult& r = results[i];
    // A batch's time and steps are counted once, with its first answer.
    const bool first = i % size_t(batch_size) == 0;
    out.push_back({r.text, text_result_json(r), first ? r.stats.seconds : 0.0, first ? r.stats.steps : 0,
                   int64_t(r.tokens.size()), int64_t(r.answer_tokens.size())});
  }
  return out;
}

void run_generate(GenerateOptions o) {
  set_num_threads(o.threads);
  const std::string model_dir = resolve_model_dir(o.model);
  const GenerationParams params = o.generation.resolve(model_arch(model_dir));
  std::vector<TextRequest> requests = collect_requests(o);
  diffucoder::Engine engine = diffucoder::Engine::load(model_dir);
  TextGenerator& gen = engine.impl().generator;

  std::optional<CanvasView> view;
  if (o.visual) view.emplace(o.json ? stderr : stdout, gen);
  const std::vector<Answer> answers =
      o.batch_file.empty()
          ? std::vector<Answer>{generate_one(engine, requests[0], params, view ? &*view : nullptr)}
          : generate_batches(gen, requests, params, o.batch_size, view ? &*view : nullptr);

  double seconds = 0;
  int64_t tokens = 0, answer_tokens = 0, steps = 0;
  for (size_t i = 0; i < answers.size(); ++i) {
    seconds += answers[i].seconds;
    tokens += answers[i].tokens;
    answer_tokens += answers[i].answer_tokens;
    steps += answers[i].steps;
    if (o.json) {
      std::cout << answers[i].json << "\n";
    } else {
      if (answers.size() > 1) std::cout << "=== prompt " << i + 1 << "\n";
      if (!requests[i].chat) std::cout << requests[i].prompt;
      std::cout << answers[i].text << "\n";
    }
  }
  std::cout.flush();
  const double rate = seconds > 0 ? double(tokens) / seconds : 0.0;
  const double answer_rate = seconds > 0 ? double(answer_tokens) / seconds : 0.0;
  std::fprintf(
      stderr,
      "diffucoder: %lld tokens (%lld answer), %lld steps, %.2f s, %.1f tokens/s, %.1f answer tokens/s "
      "(%zu prompt%s, %d threads, %s)\n",
      (long long)tokens, (long long)answer_tokens, (long long)steps, seconds, rate, answer_rate,
      answers.size(), answers.size() == 1 ? "" : "s", global_pool().size(),
      kernels::isa_name(kernels::active_isa()));
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
      ->capture_default_str()
      ->check(int_range(1, 4096));
  sub->add_flag("--chat", o->chat, "Wrap the prompt in the instruct chat format");
  sub->add_option("--system", o->system,
                  "System message for --chat (default: the model's own: \"You are a helpful assistant.\" for "
                  "Dream models, none for LLaDA)");
  add_generation_flags(sub, o->generation);
  sub->add_option("--threads", o->threads, "Threads (0: all cores)")->capture_default_str();
  sub->add_flag("--visual", o->visual, "Show the canvas being denoised");
  sub->add_flag("--json", o->json, "One JSON object per prompt on stdout");
  sub->callback([o] { run_generate(*o); });
});

}  // namespace
}  // namespace dc::cli
