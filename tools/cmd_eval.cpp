// `diffucoder eval`: score a model or a samples file on HumanEval(+), MBPP(+) or a user's benchmark with
// the EvalPlus rules (src/eval/, SPEC §8). Writes per-sample results (jsonl), a markdown summary, and with
// --json prints one summary object on stdout.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "dist/agreement.h"
#include "dist/comm.h"
#include "dist/job.h"
#include "eval/dataset.h"
#include "eval/evaluator.h"
#include "eval/generation.h"
#include "eval/run_fingerprint.h"
#include "eval/samples.h"
#include "flag_checks.h"
#include "generate/text_generator.h"
#include "generation_flags.h"
#include "model_path.h"
#include "sandbox/sandbox.h"

namespace dc::cli {
namespace {

namespace fs = std::filesystem;

struct EvalCliOptions {
  std::string benchmark, dataset, data_dir, samples, model, out_dir, results, summary, cache_dir;
  std::string prompt_style = "auto";
  bool json = false, no_progress = false, require_isolation = false;
  int workers = 0, n = 1, threads = 0, batch_size = 4;
  double min_time = 4.0, time_factor = 4.0, task_seconds = eval::kEvalPlusTaskSeconds;
  GenerationFlags generation;
};

std::string file_stem(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  for (const char* ext : {".gz", ".jsonl", ".json"}) {
    if (name.size() > std::strlen(ext) &&
        name.compare(name.size() - std::strlen(ext), std::string::npos, ext) == 0) {
      name.resize(name.size() - std::strlen(ext));
    }
  }
  return name;
}

// Under `mpirun -np N` the ranks share the work: generation batch j goes to rank j % N, each rank judges
// what it generated, and rank 0 writes the samples, results and summary files exactly as one process
// would (eval/generation.h, eval/evaluator.h) and alone prints. Timings aside, the output is the same.
void run_eval(const EvalCliOptions& o) {
  const dist::Comm& comm = dist::world();
  // The ranks of one machine share its cores: "one sandbox per core" means this rank's share of them.
  if (comm.local_size() > 1)
    sandbox::set_max_concurrent_sandboxes(
        std::max(1, sandbox::max_concurrent_sandboxes() / comm.local_size()));
  const bool progress = !o.no_progress;

  // Set-up: whatever fails here fails alike on every rank (flags, files, the model, a resume of other
  // settings, more ranks than work): one line, and nothing is written.
  eval::Dataset d;
  std::string tag, base, model_dir;
  std::vector<eval::Sample> samples;
  GenerationParams params;
  std::optional<TextGenerator> gen;
  bool chat = false;
  dist::agree(comm, [&] {
    if (o.benchmark.empty() == o.dataset.empty())
      throw_error("give exactly one of --benchmark and --dataset");
    if (o.samples.empty() == o.model.empty()) throw_error("give exactly one of --samples and --model");
    if (o.prompt_style != "auto" && o.prompt_style != "instruct" && o.prompt_style != "base")
      throw_error("--prompt-style must be auto, instruct or base, got '{}'", o.prompt_style);
    if (o.require_isolation) sandbox::require_all_layers();  // before any generation or judging
    std::string data_dir = o.data_dir.empty() ? eval::default_data_dir() : o.data_dir;
    d = o.benchmark.empty() ? eval::load_dataset(o.dataset) : eval::load_benchmark(o.benchmark, data_dir);
    // Where results go: beside the samples file, or in --out-dir for a model run.
    tag = o.benchmark.empty() ? file_stem(o.dataset) : o.benchmark;
    if (!o.samples.empty()) {
      fs::path sp(o.samples);
      base = (sp.parent_path() / (file_stem(o.samples) + "." + tag)).string();
      samples = eval::load_samples(o.samples, d);
      if (size_t(comm.size()) > samples.size())
        throw_error("more ranks than samples to judge: {} ranks, {} samples; run at most that many ranks",
                    comm.size(), samples.size());
      return;
    }
    // The batches of a run from scratch (a resumed run has fewer; a rank may then have none).
    const size_t per_pass = (d.tasks.size() + size_t(o.batch_size) - 1) / size_t(o.batch_size);
    const size_t batches = size_t(o.n) * per_pass;
    if (size_t(comm.size()) > batches)
      throw_error(
          "more ranks than generation batches: {} ranks, {} batch{} ({} tasks in batches of --batch-size {}, "
          "--n {}); run at most that many ranks or give a smaller --batch-size",
          comm.size(), batches, batches == 1 ? "" : "es", d.tasks.size(), o.batch_size, o.n);
    model_dir = resolve_model_dir(o.model);
    set_num_threads(o.threads);
    params = o.generation.resolve(model_arch(model_dir));
    gen.emplace(model_dir);
    chat = o.prompt_style == "instruct" || (o.prompt_style == "auto" && gen->special().dlm_pad >= 0);
  });

  double generation_seconds = 0;  // filled while generating (--model)
  int64_t answer_tokens = 0, generation_steps = 0;
  int64_t model_calls = 0, refresh_calls = 0, refresh_rows = 0, window_rows = 0;  // summed over batches
  if (gen) {
    const std::string out_dir = o.out_dir.empty()
                                    ? fmt::format("eval-{}-{}", tag, fs::path(model_dir).filename().string())
                                    : o.out_dir;
    base = (fs::path(out_dir) / tag).string();
    eval::GenerateSamplesOptions go;
    go.n = o.n;
    go.chat = chat;
    go.samples_path = base + ".samples.jsonl";
    go.progress = progress;
    go.tasks_per_call = size_t(std::max(o.batch_size, 1));
    go.comm = comm;
    // Rank 0 writes the files; refusing to resume samples of other settings is the job's one line.
    dist::agree(comm, [&] {
      if (!comm.is_root()) return;
      fs::create_directories(out_dir);
      eval::check_generation_fingerprint(go.samples_path,
                                         eval::generation_fingerprint(model_dir, params, chat));
    });
    dist::set_termination_note(fmt::format(
        "{} holds every finished round of batches; the same command continues from there", go.samples_path));
    samples = eval::generate_samples(
        d,
        [&](const std::vector<eval::PromptRequest>& reqs, int sample) {
          std::vector<TextRequest> trs;
          for (const auto& r : reqs) {
            TextRequest t;
            t.prompt = r.prompt;
            t.chat = r.chat;
            t.assistant_prefix = r.assistant_prefix;
            trs.push_back(std::move(t));
          }
          GenerationParams p = params;
          p.seed = params.seed + uint64_t(sample);
          std::vector<std::string> texts;
          std::vector<TextResult> results = gen->generate(trs, p, o.batch_size);
          for (size_t i = 0; i < results.size(); i += size_t(results[i].batch_size)) {
            generation_seconds += results[i].stats.seconds;  // once per batch
            generation_steps += results[i].stats.steps;
            model_calls += results[i].stats.model_calls;
            refresh_calls += results[i].stats.refresh_calls;
            refresh_rows += results[i].stats.refresh_rows;
            window_rows += results[i].stats.window_rows;
          }
          for (auto& res : results) {
            answer_tokens += int64_t(res.answer_tokens.size());
            texts.push_back(std::move(res.text));
          }
          return texts;
        },
        go);
    gen.reset();  // the model's memory, before the sandboxes start
  }

  eval::EvalOptions opt;
  opt.results_path = o.results.empty() ? base + ".results.jsonl" : o.results;
  opt.summary_path = o.summary.empty() ? base + ".summary.md" : o.summary;
  opt.expected.cache_dir = o.cache_dir;
  opt.expected.workers = o.workers;
  opt.expected.progress = progress;
  opt.workers = o.workers;
  opt.min_test_seconds = o.min_time;
  opt.time_factor = o.time_factor;
  opt.task_seconds = o.task_seconds;
  opt.progress = progress;
  opt.comm = comm;
  dist::set_termination_note(
      fmt::format("{} holds every finished round of judged samples; the same command continues from there",
                  opt.results_path));
  eval::Summary s = eval::evaluate(d, samples, opt);

  // What this invocation generated (none when every sample was resumed): wall time in the sampler,
  // answer tokens (before the end marker) and their rate, steps summed over batches. In a job: tokens
  // and steps of every rank, and the seconds of the slowest rank.
  if (comm.distributed()) {
    answer_tokens = comm.sum(answer_tokens);
    generation_steps = comm.sum(generation_steps);
    model_calls = comm.sum(model_calls);
    refresh_calls = comm.sum(refresh_calls);
    refresh_rows = comm.sum(refresh_rows);
    window_rows = comm.sum(window_rows);
    generation_seconds = double(comm.max(uint64_t(generation_seconds * 1e9))) * 1e-9;
  }
  if (!comm.is_root()) return;
  nlohmann::json generation;
  if (generation_seconds > 0)
    generation = {{"seconds", generation_seconds},
                  {"steps", generation_steps},
                  {"answer_tokens", answer_tokens},
                  {"answer_tokens_per_second", double(answer_tokens) / generation_seconds},
                  {"model_calls", model_calls},
                  {"refresh_calls", refresh_calls},
                  {"refresh_rows", refresh_rows},
                  {"window_rows", window_rows}};
  if (o.json) {
    nlohmann::json j = s.to_json();
    if (!generation.is_null()) j["generation"] = generation;
    std::cout << j.dump() << std::endl;
    return;
  }
  std::printf("%s: pass@1 base %.1f%%", s.benchmark.c_str(), 100 * s.pass1_base);
  if (s.has_plus) std::printf(", plus %.1f%%", 100 * s.pass1_plus);
  std::printf(" (%zu tasks, %zu samples)\n", s.tasks, s.samples);
  for (const auto& [k, v] : s.pass_at_k) {
    std::printf("  pass@%lld base %.1f%%", (long long)k, 100 * v.first);
    if (s.has_plus) std::printf(", plus %.1f%%", 100 * v.second);
    std::printf("\n");
  }
  if (!generation.is_null())
    std::printf("generation: %.1f s, %lld answer tokens (%.1f/s), %lld steps\n", generation_seconds,
                (long long)answer_tokens, double(answer_tokens) / generation_seconds,
                (long long)generation_steps);
  std::printf("results: %s\nsummary: %s\n", s.results_path.c_str(), s.summary_path.c_str());
}

DC_SUBCOMMAND("eval", [](CLI::App& app) {
  auto o = std::make_shared<EvalCliOptions>();
  o->generation.params.max_new_tokens = 512;
  o->generation.params.temperature = 0.0f;
  auto* sub =
      app.add_subcommand("eval", "Score a model or samples on HumanEval(+) / MBPP(+) (EvalPlus rules)");
  sub->add_option("--benchmark", o->benchmark,
                  "humaneval, humaneval+, humaneval+mini, humaneval-original, mbpp or mbpp+");
  sub->add_option("--dataset", o->dataset,
                  "A benchmark file instead (EvalPlus, HumanEval or the generic jsonl)");
  sub->add_option("--data-dir", o->data_dir,
                  "Directory of the benchmark files (default: the repository's data/benchmarks)");
  sub->add_option("--samples", o->samples, "jsonl of {\"task_id\", \"solution\" | \"completion\"}");
  sub->add_option("--model", o->model, "Model folder: generate the samples first");
  sub->add_option("--out-dir", o->out_dir, "With --model: where samples, results and summary go");
  sub->add_option("--results", o->results, "Per-sample results (jsonl; resumed when it exists)");
  sub->add_option("--summary", o->summary, "Markdown summary");
  sub->add_option("--cache-dir", o->cache_dir,
                  "Expected-output cache (default ~/.cache/diffucoder/expected)");
  sub->add_option("--workers", o->workers, "Sandboxes at once (0: one per core)")
      ->capture_default_str()
      ->check(int_range(0, 4096));
  sub->add_option("--min-time-limit", o->min_time, "Per-test limit floor, seconds")
      ->capture_default_str()
      ->check(finite_range(0, eval::kMaxMinTestSeconds, true));
  sub->add_option("--time-factor", o->time_factor, "Per-test limit as a multiple of the reference time")
      ->capture_default_str()
      ->check(finite_range(0, eval::kMaxTimeFactor, true));
  sub->add_option("--timeout-per-task", o->task_seconds,
                  "Cap in seconds of the base tests together and of the plus tests together of one sample: "
                  "min(this, sum of their limits) + 1 (EvalPlus's EVALPLUS_TIMEOUT_PER_TASK)")
      ->capture_default_str()
      ->check(finite_range(0, eval::kMaxTaskSeconds, true));
  sub->add_flag("--json", o->json, "Print one summary object on stdout");
  sub->add_flag("--no-progress", o->no_progress, "No progress bar");
  sub->add_flag("--require-isolation", o->require_isolation,
                "Refuse to run unless every sandbox layer works here (see `sandbox --layers`)");
  sub->add_option("--n", o->n, "With --model: samples per task")
      ->capture_default_str()
      ->check(int_range(1, 10000));
  sub->add_option("--prompt-style", o->prompt_style,
                  "auto (instruct if the vocabulary has <|dlm_pad|>), instruct, base")
      ->capture_default_str();
  sub->add_option("--batch-size", o->batch_size, "Prompts decoded together")
      ->capture_default_str()
      ->check(int_range(1, 4096));
  sub->add_option("--threads", o->threads, "Threads for the model (0: all cores)")->capture_default_str();
  GenerationFlagSet flags;
  flags.seed_help = "Seed (sample j uses seed + j)";
  add_generation_flags(sub, o->generation, flags);
  sub->callback([o] { run_eval(*o); });
});

}  // namespace
}  // namespace dc::cli
