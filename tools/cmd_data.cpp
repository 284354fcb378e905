// `diffucoder data`: tokenized, packed, shuffled training shards with a validation split (train/data.h),
// from source files (default: the Python standard library) or from SFT jsonl ({prompt, response}).
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli.h"
#include "core/error.h"
#include "flag_checks.h"
#include "model/config.h"
#include "tokenizer/bpe_trainer_files.h"
#include "tokenizer/tokenizer.h"
#include "train/data.h"

namespace {

struct DataCli {
  std::string tokenizer;
  std::vector<std::string> inputs;
  std::vector<std::string> extensions = {".py"};
  std::vector<std::string> sft;
  dc::train::DataBuildOptions opt;
};

void run_data(const DataCli& c) {
  const dc::Tokenizer tok = dc::Tokenizer::load(c.tokenizer);
  dc::train::DataBuildStats s;
  if (!c.sft.empty()) {
    if (!c.inputs.empty()) dc::throw_error("data: give --input or --sft, not both");
    dc::train::DataBuildOptions opt = c.opt;
    // A model folder given as --tokenizer brings its architecture's chat format.
    const std::string config = c.tokenizer + "/config.json";
    if (std::filesystem::exists(config)) opt.chat_format = dc::load_model_config(config).arch;
    s = dc::train::build_sft_shards(tok, c.sft, opt);
  } else {
    std::vector<std::string> inputs = c.inputs;
    if (inputs.empty()) inputs.push_back(dc::tok::default_python_source_dir());
    s = dc::train::build_text_shards(tok, dc::tok::list_corpus_files(inputs, c.extensions), c.opt);
  }
  std::printf("train: %lld sequences of %lld tokens from %lld %s in %zu shards\n",
              (long long)s.train.sequences, (long long)c.opt.seq_len, (long long)s.train.sources,
              c.sft.empty() ? "files" : "examples", s.train.shards.size());
  std::printf("val:   %lld sequences from %lld %s\n", (long long)s.val.sequences, (long long)s.val.sources,
              c.sft.empty() ? "files" : "examples");
  if (!c.sft.empty())
    std::printf("skipped %lld examples longer than %lld tokens\n", (long long)s.skipped,
                (long long)c.opt.seq_len);
  std::printf("wrote %s/dataset.json\n", c.opt.out_dir.c_str());
}

}  // namespace

DC_SUBCOMMAND("data", [](CLI::App& app) {
  auto* sub =
      app.add_subcommand("data", "build tokenized, packed, shuffled training shards with a validation split");
  auto c = std::make_shared<DataCli>();
  sub->add_option("--tokenizer", c->tokenizer, "model folder, tokenizer folder or tokenizer.json")
      ->required();
  sub->add_option("--out", c->opt.out_dir, "output directory (dataset.json + shards)")->required();
  sub->add_option("--input", c->inputs, "source files or directories (default: the Python standard library)");
  sub->add_option("--ext", c->extensions, "file name endings to read from directories (default .py)");
  sub->add_option("--sft", c->sft,
                  "SFT jsonl files ({\"prompt\", \"response\"} per line) instead of source files; framed in "
                  "the chat format of the --tokenizer model folder's architecture (ChatML without one)");
  sub->add_option("--seq-len", c->opt.seq_len, "tokens per sequence")
      ->check(CLI::Range(int64_t(2), int64_t(1) << 24));
  sub->add_option("--val-fraction", c->opt.val_fraction,
                  "share of files (or examples) held out for validation")
      ->check(dc::cli::finite_range(0, 1));
  sub->add_option("--seed", c->opt.seed, "shuffle seed");
  sub->add_option("--seqs-per-shard", c->opt.seqs_per_shard, "sequences per shard file")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 40));
  sub->callback([c] { run_data(*c); });
});
