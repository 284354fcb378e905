// The training loop (SPEC §5): masked-diffusion pre-training or SFT of a Dream model on a TokenDataset,
// AdamW with warm-up + cosine, gradient clipping and accumulation, fp32 master weights, periodic
// validation, a JSONL metrics log, a loss-curve SVG, and atomic, bit-exactly resumable checkpoints.
//
// Output folder OUT:
//   OUT/checkpoint-<step>/  config.json (model_type Dream), model.safetensors (fp32 master weights),
//                           tokenizer files (copied from TrainOptions::tokenizer_dir when set),
//                           optimizer.safetensors (AdamW moments "m.<name>", "v.<name>"),
//                           trainer_state.json (step, samples seen = the data-loader position, seed, shape)
//   OUT/latest              the name of the newest complete checkpoint folder (replaced atomically)
//   OUT/metrics.jsonl       one JSON object per step ({"step","loss","lr","grad_norm","tokens_per_s"}) and
//                           per validation ({"step","val_loss"}); under mpirun the step lines add "ranks"
//                           (tokens_per_s counts the global batch)
//   OUT/loss.svg            training and validation loss against step
//   OUT/export-bf16/        with export_bf16: the final weights in BF16, HF layout
// A checkpoint is written into a temporary folder, synced and renamed, then `latest` is replaced; older
// checkpoint folders are removed afterwards. A kill at any point leaves `latest` naming a complete one.
//
// Determinism: all randomness derives from (seed, step, micro-batch) and the data order from (seed,
// epoch), so the run is a pure function of its options, the data and the thread count; a resumed run
// continues bit-exactly (N steps straight == N/2 + resume + N/2, tested).
//
// Under an MPI launcher (`mpirun -np R diffucoder train ...`) every rank calls train() with the same
// arguments and the loop is data-parallel (data_parallel.h): the global batch is still batch x accum
// sequences, the micro-batches of a step divided among the ranks and their gradients and losses summed, so
// every rank applies the same update. Only rank 0 writes OUT (metrics, loss curve, checkpoints, `latest`,
// the export) and logs; every rank reads the checkpoint on resume. The same rank count and seed give the
// same bytes; another rank count changes only the order of float sums (weights about 1e-7 of their scale
// apart after a few steps on the tiny model; the tests allow 1e-5), and a checkpoint does not depend on it
// (resume with any count). Set-up failures (options, more ranks than accum, resume state) are agreed: one
// line from rank 0, exit 1 on all.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/dtype.h"
#include "dist/comm.h"
#include "model/training_pass.h"
#include "train/adamw.h"
#include "train/run_folder.h"
#include "train/token_dataset.h"

namespace dc::train {

struct TrainOptions {
  std::string out_dir;     // required
  int64_t steps = 100;     // optimizer steps in the schedule
  int64_t stop_after = 0;  // > 0: stop (after saving) once this step is reached, as if interrupted
  int64_t batch = 4;       // sequences per micro-batch
  int64_t accum = 1;       // micro-batches per optimizer step (gradients averaged)
  uint64_t seed = 0;
  AdamWOptions adam;         // total_steps is set from `steps`
  double mask_eps = 1e-3;    // t ~ U(mask_eps, 1)
  int64_t anneal_steps = 0;  // > 0: attention annealed from causal to full over these steps
  int64_t eval_every = 0;    // > 0: validation loss every this many steps (and at the end)
  int64_t eval_batches = 1;  // micro-batches of the validation set per evaluation
  int64_t save_every = 0;    // > 0: checkpoint every this many steps (always at the end)
  bool resume = false;       // continue from OUT/latest
  bool export_bf16 = false;
  std::string tokenizer_dir;  // folder whose tokenizer files are copied into checkpoints ("" = none)
  std::function<void(const std::string&)> log;  // progress lines (nullable; called on rank 0 only)
};

struct TrainResult {
  int64_t step = 0;           // last completed step
  int64_t steps_run = 0;      // steps this call trained (0: a resumed run that was already complete)
  double last_loss = 0;       // training loss of that step
  double last_val_loss = -1;  // last validation loss (-1 if none)
  std::string checkpoint;     // folder of the last checkpoint written
};

// Trains `params` in place (on every rank of dist::world()). `val` may be null. Throws dc::Error for bad
// options (check_hyper_parameters), for a step whose loss or gradient norm is not finite (before the weights
// are updated) and for weights that are no longer finite at a checkpoint (nothing is saved; the last good
// checkpoint stays `latest`), for bad data or I/O, when resuming from a checkpoint made with a different
// seed, batch, accumulation, sequence length, step count (the schedule depends on it) or model, and when a
// fresh run (resume false) is pointed at a folder that already holds checkpoints. On ranks other than 0 the
// result's `checkpoint` is empty.
TrainResult train(ModelParams& params, const TokenDataset& data, const TokenDataset* val,
                  const TrainOptions& o);

// Validation loss: the mean over `batches` micro-batches of the first sequences of `data`, with masks
// drawn from a fixed stream of `seed` (the same every evaluation). Collective: the batches are divided
// among the ranks of `comm` and their losses summed.
double validation_loss(const ModelParams& params, const TokenDataset& data, int64_t batch, int64_t batches,
                       uint64_t seed, double mask_eps, const dist::Comm& comm = dist::world());

}  // namespace dc::train
