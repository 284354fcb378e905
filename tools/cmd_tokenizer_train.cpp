// `diffucoder tokenizer train`: learns a byte-level BPE (Qwen2 pre-tokenizer) from source files and writes
// tokenizer.json + tokenizer_config.json (tokenizer/bpe_trainer.h).
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/bpe_trainer_files.h"

namespace {

struct TrainOptions {
  std::vector<std::string> inputs;
  std::vector<std::string> extensions = {".py"};
  std::string out;
  int64_t vocab_size = 8192;
  int64_t min_frequency = 2;
  int64_t max_bytes = 0;
};

void run_train(const TrainOptions& o) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  std::vector<std::string> inputs = o.inputs;
  if (inputs.empty()) inputs.push_back(dc::tok::default_python_source_dir());
  const auto files = dc::tok::list_corpus_files(inputs, o.extensions);
  dc::tok::WordCounter counter;
  const auto stats = dc::tok::count_corpus_words(files, o.max_bytes, counter);
  const auto t1 = clock::now();
  dc::tok::BpeTrainOptions opt;
  opt.vocab_size = o.vocab_size;
  opt.min_frequency = o.min_frequency;
  const auto model = dc::tok::train_bpe(counter.counts(), opt);
  const auto t2 = clock::now();
  dc::tok::write_bpe_tokenizer(model, o.out);
  const auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  std::printf("read %lld files (%.1f MB, %lld words, %zu distinct) in %.1f s\n", (long long)stats.files,
              double(stats.bytes) / 1e6, (long long)counter.total_words(), counter.counts().size(),
              secs(t0, t1));
  std::printf("learned %zu merges (%zu BPE tokens + %zu special) in %.1f s\n", model.merges.size(),
              model.tokens.size(), model.special_tokens.size(), secs(t1, t2));
  std::printf("wrote %s/tokenizer.json and tokenizer_config.json\n", o.out.c_str());
}

}  // namespace

DC_SUBCOMMAND("tokenizer", [](CLI::App& app) {
  auto* tok = app.add_subcommand("tokenizer", "tokenizer tools");
  tok->require_subcommand(1);
  auto* sub =
      tok->add_subcommand("train", "learn a byte-level BPE (Qwen2 pre-tokenizer) and write tokenizer.json");
  auto opts = std::make_shared<TrainOptions>();
  sub->add_option("--input", opts->inputs,
                  "files or directories to learn from (default: the Python standard library sources)");
  sub->add_option("--ext", opts->extensions, "file name endings to read from directories (default .py)");
  sub->add_option("--out", opts->out, "output directory for tokenizer.json and tokenizer_config.json")
      ->required();
  sub->add_option("--vocab-size", opts->vocab_size,
                  "BPE tokens including the 256 bytes (special tokens on top)")
      ->check(CLI::Range(int64_t(256), int64_t(1) << 24));
  sub->add_option("--min-frequency", opts->min_frequency, "smallest pair count that is merged")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 40));
  sub->add_option("--max-bytes", opts->max_bytes, "stop reading input after this many bytes (0: all)");
  sub->callback([opts] { run_train(*opts); });
});
