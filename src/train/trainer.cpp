// The training loop; see trainer.h.
#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/rng.h"
#include "dist/agreement.h"
#include "dist/fault_injection.h"
#include "dist/job.h"
#include "model/config.h"
#include "model/safetensors.h"
#include "model/safetensors_writer.h"
#include "train/data_parallel.h"
#include "train/diffusion_batch.h"
#include "train/epoch_order.h"
#include "train/finite_checks.h"
#include "train/loss_curve.h"
#include "train/run_folder.h"

namespace dc::train {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Stream ids of the step RNGs (forks of the seed's generator).
// The data order's stream is train::kEpochOrderStream (1 << 41).
constexpr uint64_t kMaskStream = 0, kValStream = 1ull << 40;

}  // namespace

double validation_loss(const ModelParams& params, const TokenDataset& data, int64_t batch, int64_t batches,
                       uint64_t seed, double mask_eps, const dist::Comm& comm) {
  TrainTape tape;
  double total = 0;
  std::vector<TokenSequence> seqs(static_cast<size_t>(batch));
  // Batch k on rank k % ranks (data_parallel.h); the sum over ranks is the one-process total.
  for (int64_t k = comm.rank(); k < batches; k += comm.size()) {
    for (int64_t b = 0; b < batch; ++b) data.get((k * batch + b) % data.size(), seqs[size_t(b)]);
    Rng rng = Rng(seed).fork(kValStream + uint64_t(k));
    const DiffusionBatch db = make_diffusion_batch(seqs, params.config.mask_token_id,
                                                   logit_shift(params.config.arch), mask_eps, 1.0, rng);
    total += loss_and_grad(params, db.tokens.data(), db.B, db.N, nullptr, db.head, nullptr, tape);
  }
  return comm.sum(total) / double(batches);
}

TrainResult train(ModelParams& params, const TokenDataset& data, const TokenDataset* val,
                  const TrainOptions& o) {
  const dist::Comm& comm = dist::world();
  const bool root = comm.is_root();
  auto say = [&](const std::string& line) {
    if (o.log && root) o.log(line);
  };
  AdamWOptions ao = o.adam;
  ao.total_steps = o.steps;
  AdamW opt(ao, params);
  const int64_t N = data.seq_len();
  // What a resumed run must share with the one that wrote the checkpoint. Not the rank count: the data and
  // masks of a step do not depend on it (data_parallel.h), so a run may resume with another one.
  json shape = {{"seed", o.seed}, {"batch", o.batch}, {"accum", o.accum}, {"seq_len", N}, {"steps", o.steps}};
  int64_t step = 0;
  dist::FaultKill fault;
  std::string resumed_from;
  // Set-up that every rank meets alike (options, the resume state, the checkpoint's tensors): agreed, so
  // that a failure is one line from rank 0 and every rank exits cleanly. Nothing is written before it.
  dist::agree(comm, [&] {
    if (o.out_dir.empty()) throw_error("train: no output folder given");
    if (o.steps <= 0 || o.batch <= 0 || o.accum <= 0)
      throw_error("train: steps ({}), batch ({}) and accumulation ({}) must be positive", o.steps, o.batch,
                  o.accum);
    check_hyper_parameters(o);
    check_ranks_fit(comm.size(), o.accum);
    if (params.config.mask_token_id < 0 || params.config.mask_token_id >= params.config.vocab_size)
      throw_error("train: the model's mask_token_id {} is not a token of its vocabulary",
                  params.config.mask_token_id);
    fault = dist::fault_kill_from_env();
    if (o.resume) {
      const std::string ck = latest_checkpoint(o.out_dir);
      if (ck.empty()) throw_error("{}: nothing to resume (no 'latest' checkpoint)", o.out_dir);
      const json st = json::parse(read_file(ck + "/trainer_state.json"));
      check_resume_state(ck + "/trainer_state.json", st, shape);
      const Checkpoint cp = Checkpoint::open(ck);
      ModelParams loaded = params_from_checkpoint(cp);
      if (loaded.numel() != params.numel())
        throw_error("{}: the checkpoint's model differs from this one", ck);
      params = std::move(loaded);
      load_optimizer_moments(ck + "/optimizer.safetensors", opt);
      step = st.at("step").get<int64_t>();
      resumed_from = ck;
    } else if (!latest_checkpoint(o.out_dir).empty()) {
      // A checkpoint of another run would be overwritten step by step (and `latest` could name a folder
      // being replaced): refuse instead.
      throw_error("{}: already holds checkpoints; pass --resume to continue, or choose another output folder",
                  o.out_dir);
    }
  });

  // Only rank 0 writes the run's outputs (the folder is shared by every rank).
  std::vector<std::pair<double, double>> curve, val_curve;
  const std::string metrics_path = o.out_dir + "/metrics.jsonl";
  std::ofstream metrics;
  if (root) {
    fs::create_directories(o.out_dir);
    if (o.resume) {
      for (const json& j : keep_metrics_until(metrics_path, step)) {
        if (j.contains("loss")) curve.emplace_back(j["step"].get<double>(), j["loss"].get<double>());
        if (j.contains("val_loss"))
          val_curve.emplace_back(j["step"].get<double>(), j["val_loss"].get<double>());
      }
    } else {
      write_file_atomic(metrics_path, "");
    }
    metrics.open(metrics_path, std::ios::app);
  }
  if (o.resume) {
    say(fmt::format("resumed from {} at step {}", resumed_from, step));
    dist::note_last_checkpoint(comm, resumed_from);
  }

  ModelParams grads = params_zeros(params.config);
  TrainTape tape;
  EpochOrder order(data.size(), o.seed);
  std::vector<TokenSequence> seqs(static_cast<size_t>(o.batch));
  TrainResult res;
  res.step = step;
  const int64_t last = o.stop_after > 0 ? std::min(o.stop_after, o.steps) : o.steps;
  const auto t_start = std::chrono::steady_clock::now();
  const int64_t first = step;

  auto save = [&](int64_t s) {
    // A checkpoint of non-finite weights would replace the last good one and poison every resume. Every rank
    // holds the same weights, so every rank finds this alike.
    if (!all_finite(params)) {
      dist::agree(comm, [&] {
        const std::string last = latest_checkpoint(o.out_dir);
        throw_error(
            "train: step {}: the weights are no longer finite; not saved ({})", s,
            last.empty() ? std::string("no checkpoint was written") : "last good checkpoint: " + last);
      });
    }
    if (!root) return;
    res.checkpoint = publish_checkpoint(o.out_dir, s, [&](const std::string& tmp) {
      write_model_folder(tmp, params, DType::F32, o.tokenizer_dir);
      json st = shape;
      st["step"] = s;
      st["samples_seen"] = s * o.accum * o.batch;
      write_optimizer_state(tmp, opt, st);
    });
    write_file_atomic(o.out_dir + "/loss.svg", loss_curve_svg(curve, val_curve));
    dist::note_last_checkpoint(comm, res.checkpoint);
  };

  while (step < last) {
    const int64_t s = step + 1;
    dist::maybe_kill(fault, comm.rank(), s);
    const auto t0 = std::chrono::steady_clock::now();
    grads.set_zero();
    const double anneal = o.anneal_steps > 0 ? std::min(1.0, double(s) / double(o.anneal_steps)) : 1.0;
    double loss = 0;
    // Micro-batch k on rank k % ranks (data_parallel.h), then the sums over ranks.
    for (int64_t k = comm.rank(); k < o.accum; k += comm.size()) {
      for (int64_t b = 0; b < o.batch; ++b)
        data.get(order.at((step * o.accum + k) * o.batch + b), seqs[size_t(b)]);
      Rng rng = Rng(o.seed).fork(kMaskStream + uint64_t(step * o.accum + k));
      DiffusionBatch db = make_diffusion_batch(seqs, params.config.mask_token_id,
                                               logit_shift(params.config.arch), o.mask_eps, anneal, rng);
      // Average over micro-batches: each one's loss is already normalised by its masked count.
      for (float& w : db.head.weights) w /= float(o.accum);
      loss += loss_and_grad(params, db.tokens.data(), db.B, db.N,
                            db.allow.empty() ? nullptr : db.allow.data(), db.head, &grads, tape);
    }
    loss = comm.sum(loss);
    allreduce_gradients(comm, grads);
    const double gnorm = global_grad_norm(grads);
    if (!std::isfinite(loss) || !std::isfinite(gnorm)) {  // alike on every rank (the sums are shared)
      metrics.flush();
      dist::agree(comm, [&] { check_step_finite(s, loss, gnorm, latest_checkpoint(o.out_dir)); });
    }
    const double lr = opt.update(params, grads, s, gnorm);
    step = s;
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double tps = double(o.batch * o.accum * N) / std::max(dt, 1e-9);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    const double eta = elapsed / double(step - first) * double(last - step);
    curve.emplace_back(double(step), loss);
    json line = {{"step", step}, {"loss", loss}, {"lr", lr}, {"grad_norm", gnorm}, {"tokens_per_s", tps}};
    if (comm.distributed()) line["ranks"] = comm.size();
    if (root) metrics << line.dump() << "\n";
    say(fmt::format("step {}/{} loss {:.4f} lr {:.3e} grad_norm {:.3f} tok/s {:.0f} eta {}", step, o.steps,
                    loss, lr, gnorm, tps, hms(eta)));
    res.last_loss = loss;
    res.step = step;
    ++res.steps_run;
    if (val && o.eval_every > 0 && (step % o.eval_every == 0 || step == last)) {
      const double vl = validation_loss(params, *val, o.batch, o.eval_batches, o.seed, o.mask_eps, comm);
      val_curve.emplace_back(double(step), vl);
      if (root) metrics << json{{"step", step}, {"val_loss", vl}}.dump() << "\n";
      res.last_val_loss = vl;
      say(fmt::format("step {} validation loss {:.4f}", step, vl));
    }
    metrics.flush();
    if (step == last || (o.save_every > 0 && step % o.save_every == 0)) save(step);
  }
  if (!root) return res;
  if (res.checkpoint.empty() && step > 0) res.checkpoint = latest_checkpoint(o.out_dir);
  write_file_atomic(o.out_dir + "/loss.svg", loss_curve_svg(curve, val_curve));
  if (o.export_bf16 && step == o.steps)
    write_model_folder(o.out_dir + "/export-bf16", params, DType::BF16, o.tokenizer_dir);
  return res;
}

}  // namespace dc::train
