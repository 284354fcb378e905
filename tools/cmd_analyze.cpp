// `diffucoder analyze`: AR-ness (local@k, global@k) and the entropy sink of diffusion decoding (SPEC §7).
//  * --model M (--benchmark NAME|FILE | --prompt-file F | --prompt TEXT) [--temperature T ...]: decodes every
//    prompt with one token per step (steps = --max-new-tokens) once per temperature; one run per temperature.
//  * --order FILE ...: analyses saved generations (JSON lines of `generate --json`); one run per file.
// Prints a table, or one JSON object per run with --json; --report DIR writes SVG pictures and index.html;
// --save-orders F keeps the decoded orders for a later --order F.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "analysis/decode_run.h"
#include "analysis/order_file.h"
#include "analysis/prompts.h"
#include "analysis/report.h"
#include "analysis/summary.h"
#include "cli.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "core/thread_pool.h"
#include "eval/dataset.h"
#include "eval/generation.h"
#include "generate/memory_budget.h"
#include "generate/text_generator.h"
#include "generation_flags.h"
#include "model_path.h"

namespace dc::cli {
namespace {

struct AnalyzeOptions {
  std::vector<std::string> order_files;
  std::string model, benchmark, prompt_file, prompt, data_dir, save_orders, system;
  bool chat = false;
  int limit = 0, batch_size = 1, threads = 0;
  std::vector<float> temperatures = {0.2f};
  GenerationFlags generation;  // steps = max-new-tokens: one token per step
  bool json = false;
  std::string report_dir;
  int local_k = 9;
  int global_k = 4;
};

// The requests of --benchmark / --prompt-file / --prompt, at most --limit of them. With --chat, benchmark
// tasks are posed exactly as `eval --model` poses them to an instruct checkpoint (the paper's question
// and the pre-filled assistant answer); other prompts become the user's message.
std::vector<TextRequest> collect_prompts(const AnalyzeOptions& o) {
  const int given = int(!o.benchmark.empty()) + int(!o.prompt_file.empty()) + int(!o.prompt.empty());
  if (given != 1) throw_error("analyze --model: give exactly one of --benchmark, --prompt-file, --prompt");
  std::vector<TextRequest> prompts;
  auto add = [&](const std::string& text) {
    TextRequest req;
    req.prompt = text;
    req.chat = o.chat;
    req.system = o.system;
    prompts.push_back(req);
  };
  if (!o.benchmark.empty()) {
    const std::string dir = o.data_dir.empty() ? eval::default_data_dir() : o.data_dir;
    const auto names = eval::benchmark_names();
    const bool named = std::find(names.begin(), names.end(), o.benchmark) != names.end();
    const eval::Dataset d = named ? eval::load_benchmark(o.benchmark, dir) : eval::load_dataset(o.benchmark);
    for (const eval::Task& t : d.tasks) {
      const eval::PromptRequest e = eval::eval_prompt(t, o.chat);
      add(e.prompt);
      prompts.back().assistant_prefix = e.assistant_prefix;
    }
  } else if (!o.prompt_file.empty()) {
    const std::string text = read_file(o.prompt_file);
    if (o.prompt_file.ends_with(".jsonl")) {
      for (const auto& t : analysis::parse_prompt_lines(text, o.prompt_file)) add(t.prompt);
    } else {
      add(text);
    }
  } else {
    add(o.prompt);
  }
  if (o.limit > 0 && size_t(o.limit) < prompts.size()) prompts.resize(size_t(o.limit));
  for (const TextRequest& p : prompts) {
    if (p.prompt.empty()) throw_error("analyze: empty prompt");
  }
  return prompts;
}

std::vector<analysis::RunSummary> decode_runs(const AnalyzeOptions& o) {
  const std::string model_dir = resolve_model_dir(o.model);
  const GenerationParams params = o.generation.resolve(model_arch(model_dir));
  const std::vector<TextRequest> requests = collect_prompts(o);
  TextGenerator gen(model_dir);
  std::vector<std::vector<int32_t>> prompts;
  size_t longest = 0;
  for (const TextRequest& req : requests) {
    prompts.push_back(gen.tokenizer().encode(gen.render_prompt(req)));
    longest = std::max(longest, prompts.back().size());
  }
  // Before any decoding allocates: the longest prompt in a batch of the largest size.
  check_generation_fits(gen.model().config(), std::min<int64_t>(o.batch_size, int64_t(prompts.size())),
                        int64_t(longest), params.max_new_tokens, params, global_pool().size());
  std::vector<std::vector<analysis::Sample>> samples;
  auto progress = [](const std::string& label, size_t done, size_t total) {
    std::fprintf(stderr, "analyze: %s: %zu/%zu prompts decoded\n", label.c_str(), done, total);
  };
  auto runs = analysis::analyze_temperatures(gen.model(), prompts, params, o.temperatures, o.batch_size,
                                             o.local_k, o.global_k, &samples, progress);
  if (!o.save_orders.empty()) {
    std::string lines;
    for (size_t r = 0; r < runs.size(); ++r) {
      for (const analysis::Sample& s : samples[r])
        lines += analysis::generation_json(s, runs[r].temperature).dump() + "\n";
    }
    write_file_atomic(o.save_orders, lines);
  }
  return runs;
}

void run_analyze(const AnalyzeOptions& o, const std::string& command_line) {
  set_num_threads(o.threads);
  const bool from_model =
      !o.model.empty() || !o.benchmark.empty() || !o.prompt_file.empty() || !o.prompt.empty();
  if (from_model == !o.order_files.empty()) {
    throw_error(
        "analyze: give either --order FILE (saved generations) or a model run (--model with "
        "--benchmark, --prompt-file or --prompt)");
  }
  std::vector<analysis::RunSummary> runs;
  if (from_model) {
    runs = decode_runs(o);
  } else {
    for (const std::string& f : o.order_files) {
      for (auto& r : analysis::summarize_generations(f, o.local_k, o.global_k)) runs.push_back(std::move(r));
    }
  }
  if (o.json) {
    for (const auto& r : runs) std::printf("%s\n", analysis::summary_json(r).dump().c_str());
  } else {
    std::fputs(analysis::summary_text(runs).c_str(), stdout);
  }
  if (!o.report_dir.empty()) {
    const auto written = analysis::write_report(o.report_dir, runs, command_line);
    std::fprintf(stderr, "analyze: wrote %zu files to %s (open %s/index.html)\n", written.size(),
                 o.report_dir.c_str(), o.report_dir.c_str());
  }
}

DC_SUBCOMMAND("analyze", [](CLI::App& app) {
  auto* sub =
      app.add_subcommand("analyze", "AR-ness (local@k, global@k) and entropy sink of diffusion decoding");
  auto o = std::make_shared<AnalyzeOptions>();
  o->generation.params.max_new_tokens = 256;
  o->generation.params.top_p = 0.95f;
  sub->add_option(
         "--order", o->order_files,
         "Saved generations: JSON lines of `generate --json` (order, prompt_tokens) or of --save-orders; "
         "repeat for several runs, e.g. one file per temperature")
      ->check(CLI::ExistingFile);
  sub->add_option("--model", o->model, "Model folder to decode with (default: the bundled model)");
  sub->add_option("--benchmark", o->benchmark,
                  "Prompts of a benchmark (humaneval, mbpp+, ...) or a benchmark file");
  sub->add_option("--data-dir", o->data_dir,
                  "Folder of the benchmark files (default: the repository's data/benchmarks)");
  sub->add_option("--prompt-file", o->prompt_file,
                  "One prompt (a text file) or JSON lines with a \"prompt\" field (.jsonl)")
      ->check(CLI::ExistingFile);
  sub->add_option("--prompt", o->prompt, "One prompt text");
  sub->add_flag("--chat", o->chat,
                "Instruct chat format (benchmark tasks are posed as `eval --model` poses them)");
  sub->add_option("--system", o->system, "System message for --chat (default: the model's own)");
  sub->add_option("--limit", o->limit, "Decode only the first N prompts (0: all)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--temperature", o->temperatures, "Sampling temperature(s); one run per value")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  GenerationFlagSet flags;
  flags.steps_flag = "";      // one token per step
  flags.temperature = false;  // --temperature above takes several values
  flags.parallel = false;
  flags.fast = false;  // the order of one-token-per-step decoding is what is analysed
  flags.cache = false;
  add_generation_flags(sub, o->generation, flags);
  sub->add_option("--batch-size", o->batch_size, "Prompts decoded together")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--threads", o->threads, "Worker threads (0: all cores)")->capture_default_str();
  sub->add_option("--save-orders", o->save_orders,
                  "Write the decoded orders as JSON lines (read back with --order)");
  sub->add_flag("--json", o->json, "Print one JSON object per run instead of a table");
  sub->add_option("--report", o->report_dir,
                  "Write SVG pictures, summary.json and index.html into this folder");
  sub->add_option("--local-k", o->local_k, "Largest k of local AR-ness")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  sub->add_option("--global-k", o->global_k, "Largest k of global AR-ness")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  sub->callback([o, sub] {
    // The command as given, for the report page.
    std::string cmd = "diffucoder analyze";
    for (const CLI::Option* opt : sub->get_options()) {
      if (opt->count() == 0 || opt->get_name() == "--help") continue;
      const std::string name = opt->get_name();
      if (opt->get_type_size() == 0) {
        cmd += " " + name;
        continue;
      }
      for (const std::string& v : opt->results()) cmd += " " + name + " " + v;
    }
    run_analyze(*o, cmd);
  });
});

}  // namespace
}  // namespace dc::cli
