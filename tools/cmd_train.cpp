// `diffucoder train` (masked-diffusion pre-training) and `diffucoder sft` (supervised fine-tuning), SPEC §5.
//   diffucoder train --out DIR --data FILE... [--model DIR | --config config.json --tokenizer DIR]
//                    [--steps N] [--seed S] [--resume] [--val FILE...] [--seq-len N] [--batch B] ...
//   diffucoder sft   --out DIR --data FILE.jsonl [--val FILE.jsonl] [same options]
// train reads plain text files; sft reads JSON lines {"prompt": ..., "response": ...}. Checkpoints, the
// metrics log and the loss curve go to DIR (see train/trainer.h). Prints one progress line per step.
// Under `mpirun -np R` the run is data-parallel over R ranks (train/data_parallel.h); rank 0 prints and
// writes, and a set-up failure on any rank is one line from rank 0.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "dist/agreement.h"
#include "dist/comm.h"
#include "flag_checks.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/model_files.h"
#include "model/special_tokens.h"
#include "model_path.h"
#include "tokenizer/tokenizer.h"
#include "train/data_parallel.h"
#include "train/data_selection.h"
#include "train/finite_checks.h"
#include "train/init_params.h"
#include "train/trainer.h"

namespace {

struct TrainCli {
  std::string model, config, tokenizer, out;
  std::vector<std::string> data, val;
  int64_t seq_len = 256, warmup = -1;
  int threads = 0;
  dc::train::TrainOptions o;
};

void run_train(TrainCli& c, bool sft) {
  const dc::dist::Comm& comm = dc::dist::world();
  if (c.threads > 0) dc::set_num_threads(c.threads);
  dc::ModelParams params;
  std::string tok_dir;
  dc::train::DataSelection sel;
  // Every rank loads the model and opens the data (each reads only its micro-batches' sequences later); a
  // failure here is the same on every rank, so it is agreed on: one line, from rank 0.
  dc::dist::agree(comm, [&] {
    dc::train::check_ranks_fit(comm.size(), c.o.accum);  // before minutes of loading (train() checks too)
    // Model: a checkpoint to continue from, or a config for fresh weights.
    if (!c.config.empty()) {
      if (c.tokenizer.empty()) dc::throw_error("{}: --config needs --tokenizer DIR as well", c.config);
      params = dc::train::init_params(dc::load_model_config(c.config), c.o.seed);
      tok_dir = c.tokenizer;
    } else {
      const std::string dir = dc::cli::resolve_model_dir(c.model);
      params = dc::params_from_checkpoint(dc::Checkpoint::open(dir));
      tok_dir = c.tokenizer.empty() ? dir : c.tokenizer;
    }
    const dc::Tokenizer tok = dc::load_model_tokenizer(tok_dir);
    dc::apply_special_tokens(dc::resolve_special_tokens(params.config, tok, tok_dir), params.config);
    const dc::ModelConfig& cfg = params.config;

    dc::train::DataRequest req;
    req.data = c.data;
    req.val = c.val;
    req.seq_len = c.seq_len;
    req.sft = sft;
    sel = dc::train::select_training_data(req, tok, tok_dir, cfg);
    if (c.o.eval_every > 0 && !sel.val) dc::throw_error("--eval-every needs --val data");
  });
  c.seq_len = sel.seq_len;
  const bool root = comm.is_root();  // the other ranks stay silent
  if (sel.skipped && root)
    std::printf("skipped %lld samples longer than %lld tokens\n", (long long)sel.skipped,
                (long long)c.seq_len);
  const std::unique_ptr<dc::train::TokenDataset> data = std::move(sel.train), val = std::move(sel.val);
  // Threads are per rank; a distributed run names its rank count too ("2 ranks x 1 threads").
  const std::string ranks = comm.distributed() ? std::to_string(comm.size()) + " ranks x " : "";
  if (root)
    std::printf("%s: %lld sequences of %lld tokens, %lld parameters, %s%d threads\n", sft ? "sft" : "train",
                (long long)data->size(), (long long)c.seq_len, (long long)params.numel(), ranks.c_str(),
                dc::global_pool().size());
  c.o.out_dir = c.out;
  c.o.tokenizer_dir = tok_dir;
  c.o.adam.warmup_steps = c.warmup >= 0 ? c.warmup : c.o.steps / 20;
  c.o.log = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  const dc::train::TrainResult r = dc::train::train(params, *data, val.get(), c.o);
  if (!root) return;
  if (r.steps_run == 0) {
    std::printf("done: already complete at step %lld, checkpoint %s\n", (long long)r.step,
                r.checkpoint.c_str());
  } else {
    std::printf("done: step %lld, loss %.4f, checkpoint %s\n", (long long)r.step, r.last_loss,
                r.checkpoint.c_str());
  }
}

void add_options(CLI::App* sub, TrainCli& c) {
  sub->add_option("--out", c.out, "output folder (checkpoints, metrics.jsonl, loss.svg)")->required();
  sub->add_option("--data", c.data, "training data files, or a shard folder written by `diffucoder data`")
      ->required();
  sub->add_option("--val", c.val, "validation data files");
  sub->add_option("--model", c.model, "checkpoint folder to start from (default: the bundled model)");
  sub->add_option("--config", c.config, "config.json of a model to train from fresh weights");
  sub->add_option("--tokenizer", c.tokenizer, "tokenizer folder (default: the model folder)");
  // Ranges: beyond them a value is a typo (or NaN/inf), and a run would only waste hours or save a broken
  // checkpoint. Counts stay far below where step * batch * accumulation could overflow.
  using dc::cli::finite_range;
  using dc::cli::int_range;
  sub->add_option("--steps", c.o.steps, "optimizer steps")->check(int_range(1, 100'000'000));
  sub->add_option("--seed", c.o.seed, "random seed (masks, data order, fresh weights)");
  sub->add_flag("--resume", c.o.resume, "continue bit-exactly from the latest checkpoint in --out");
  sub->add_option("--seq-len", c.seq_len, "tokens per sequence")
      ->check(CLI::Range(int64_t(2), int64_t(1) << 20));
  sub->add_option("--batch", c.o.batch, "sequences per micro-batch")->check(int_range(1, 65536));
  sub->add_option("--accum", c.o.accum, "micro-batches per step")->check(int_range(1, 65536));
  sub->add_option("--lr", c.o.adam.lr, "peak learning rate")->check(finite_range(0, dc::train::kMaxLr));
  sub->add_option("--warmup", c.warmup, "warm-up steps (default: 5% of --steps)")
      ->check(int_range(0, 100'000'000));
  sub->add_option("--min-lr-ratio", c.o.adam.min_lr_ratio, "final learning rate / peak")
      ->check(finite_range(0, 1));
  sub->add_option("--weight-decay", c.o.adam.weight_decay, "AdamW decoupled weight decay")
      ->check(finite_range(0, dc::train::kMaxWeightDecay));
  sub->add_option("--clip", c.o.adam.clip, "max gradient norm (0: off)")
      ->check(finite_range(0, dc::train::kMaxClip));
  sub->add_option("--anneal-steps", c.o.anneal_steps, "anneal attention from causal to full over N steps")
      ->check(int_range(0, 100'000'000));
  sub->add_option("--eval-every", c.o.eval_every, "validation loss every N steps")
      ->check(int_range(0, 100'000'000));
  sub->add_option("--eval-batches", c.o.eval_batches, "micro-batches per validation")
      ->check(int_range(1, 65536));
  sub->add_option("--save-every", c.o.save_every, "checkpoint every N steps (always at the end)")
      ->check(int_range(0, 100'000'000));
  sub->add_option("--stop-after", c.o.stop_after, "stop (with a checkpoint) after this step")
      ->check(int_range(0, 100'000'000));
  sub->add_option("--threads", c.threads, "worker threads (default: all cores)");
  sub->add_flag("--export-bf16", c.o.export_bf16, "also write the final weights in BF16 to DIR/export-bf16");
}

}  // namespace

DC_SUBCOMMAND("train", [](CLI::App& app) {
  auto c = std::make_shared<TrainCli>();
  auto* sub = app.add_subcommand("train", "masked-diffusion pre-training on text files");
  add_options(sub, *c);
  sub->callback([c] { run_train(*c, false); });
});

DC_SUBCOMMAND("sft", [](CLI::App& app) {
  auto c = std::make_shared<TrainCli>();
  auto* sub = app.add_subcommand("sft", "supervised fine-tuning on JSON lines {\"prompt\", \"response\"}");
  c->seq_len = 128;
  add_options(sub, *c);
  sub->callback([c] { run_train(*c, true); });
});
