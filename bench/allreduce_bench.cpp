// The gradient sum of a data-parallel step (dist/comm.h): comm.allreduce_sum on float buffers the size of
// a model's parameters, as one buffer, as one call per tensor (train/data_parallel.h, what grpo does) and as
// one buffer in fixed pieces (--piece-mib). Sizes: the bundled model (models/diffucoder-tiny/config.json) and
// a Qwen2.5-0.5B-shaped Dream model (494M parameters, 1.98 GB in fp32) when the machine has the memory for
// it, else a 124M-parameter buffer whose time is extrapolated linearly. Prints the median over the repeats of
// the slowest rank's time, the algorithm bandwidth (bytes / time) and the bus bandwidth (2(N-1)/N x bytes /
// time, the traffic per rank of a ring allreduce). Figures only, no assertions.
//   mpirun -np 2 --oversubscribe build/bin/bench_allreduce [--repeats N] [--no-large] [--piece-mib M]
// Without mpirun it says so and times the one-rank call (which returns the buffer as it is).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "dist/comm.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/random_checkpoint.h"
#include "model/training_pass.h"
#include "train/data_parallel.h"

namespace {

using Clock = std::chrono::steady_clock;

// MemAvailable of /proc/meminfo in bytes (0 where unknown).
double available_bytes() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  double kib = 0;
  while (f >> key >> kib) {
    if (key == "MemAvailable:") return kib * 1024.0;
    f.ignore(256, '\n');
  }
  return 0;
}

// Median over `repeats` of the slowest rank's seconds for fn() (every rank starts together; one warm-up).
template <class Fn>
double median_seconds(const dc::dist::Comm& comm, int repeats, const Fn& fn) {
  comm.barrier();
  fn();
  std::vector<double> s;
  for (int r = 0; r < repeats; ++r) {
    comm.barrier();
    const auto t0 = Clock::now();
    fn();
    const double mine = std::chrono::duration<double>(Clock::now() - t0).count();
    s.push_back(double(comm.max(uint64_t(mine * 1e9))) * 1e-9);
  }
  std::sort(s.begin(), s.end());
  return s[s.size() / 2];
}

void report(const dc::dist::Comm& comm, const std::string& what, double params, double seconds, int repeats,
            double scale = 1) {
  const double bytes = params * 4, n = comm.size();
  const double algbw = bytes / seconds / 1e9, busbw = algbw * 2 * (n - 1) / n;
  if (!comm.is_root()) return;
  if (!comm.distributed()) {
    std::printf("  %-44s %8.1fM floats %9.4f ms  (one rank: nothing moves)\n", what.c_str(), params / 1e6,
                seconds * 1e3);
    return;
  }
  std::printf("  %-44s %8.1fM floats %9.2f ms  algbw %6.2f GB/s  busbw %6.2f GB/s  (median of %d)\n",
              what.c_str(), params / 1e6, seconds * 1e3, algbw, busbw, repeats);
  if (scale != 1)
    std::printf("  %-44s %8.1fM floats %9.2f ms  (extrapolated linearly from the line above)\n", "  -> 0.5B",
                params * scale / 1e6, seconds * scale * 1e3);
}

// The count of a model's parameters as its tensors (one call each, as train/data_parallel.h), as one buffer,
// and as one buffer summed in pieces of piece_mib MiB (rank-dependent values).
void time_model(const dc::dist::Comm& comm, const std::string& name, const dc::ModelConfig& cfg, int repeats,
                size_t piece_mib) {
  dc::ModelParams grads = dc::params_zeros(cfg);
  const size_t grads_count = grads.tensors.size();
  const size_t n = size_t(grads.numel());
  for (dc::ParamTensor& t : grads.tensors)
    std::fill(t.data.begin(), t.data.end(), 1e-3f * float(comm.rank() + 1));
  const double per_tensor =
      median_seconds(comm, repeats, [&] { dc::train::allreduce_gradients(comm, grads); });
  grads = dc::ModelParams{};  // free it before the flat buffer
  std::vector<float> flat(n, 1e-3f * float(comm.rank() + 1));
  const double one = median_seconds(comm, repeats, [&] { comm.allreduce_sum(flat.data(), flat.size()); });
  const size_t piece = std::max<size_t>(1, piece_mib * (size_t(1) << 20) / sizeof(float));
  const double pieces = median_seconds(comm, repeats, [&] {
    for (size_t off = 0; off < n; off += piece)
      comm.allreduce_sum(flat.data() + off, std::min(piece, n - off));
  });
  report(comm, name + ", one buffer", double(n), one, repeats);
  report(comm, name + ", per tensor (" + std::to_string(grads_count) + " tensors)", double(n), per_tensor,
         repeats);
  report(comm, name + ", in " + std::to_string(piece_mib) + " MiB pieces", double(n), pieces, repeats);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"comm.allreduce_sum on model-sized float buffers"};
  int repeats = 7;
  bool no_large = false;
  size_t piece_mib = 16;
  app.add_option("--repeats", repeats, "timed calls per size (the median is printed)")
      ->check(CLI::Range(1, 1000));
  app.add_flag("--no-large", no_large, "only the bundled model's size");
  app.add_option("--piece-mib", piece_mib, "piece size of the bucketed sum")->check(CLI::Range(1, 4096));
  CLI11_PARSE(app, argc, argv);
  try {
    dc::dist::init(&argc, &argv);
    const dc::dist::Comm& comm = dc::dist::world();
    if (comm.is_root()) {
      if (comm.distributed())
        std::printf("allreduce_sum over %d ranks (%d on this machine)\n", comm.size(), comm.local_size());
      else
        std::printf(
            "one process: the sum over ranks needs mpirun (e.g. mpirun -np 2 --oversubscribe "
            "build/bin/bench_allreduce%s); timing the one-rank call, which leaves the buffer as it is\n",
            dc::dist::built_with_mpi() ? "" : ", in a build with MPI");
    }
    const dc::ModelConfig tiny =
        dc::load_model_config(std::string(DC_SOURCE_DIR) + "/models/diffucoder-tiny/config.json");
    time_model(comm, "diffucoder-tiny", tiny, repeats, piece_mib);
    if (!no_large) {
      const dc::ModelConfig big = dc::qwen25_05b_dream_config();
      double params = 0;
      for (const auto& [name, shape] : dc::tensor_shapes(big)) {
        double n = 1;
        for (int64_t d : shape) n *= double(d);
        params += n;
      }
      // Each rank holds one model-sized buffer at a time, and the MPI library may take as much again.
      const double need = 2.0 * 4 * params * comm.local_size() + 2e9;
      const bool fits = comm.min(uint64_t(available_bytes())) >= uint64_t(need);
      if (fits) {
        time_model(comm, "Qwen2.5-0.5B shape", big, repeats, piece_mib);
      } else {
        if (comm.is_root())
          std::printf(
              "  (%.1f GB available is less than the %.1f GB the 0.5B shape needs here: timing 124M)\n",
              available_bytes() / 1e9, need / 1e9);
        std::vector<float> flat(size_t(124e6), 1e-3f);
        const double s = median_seconds(comm, repeats, [&] { comm.allreduce_sum(flat.data(), flat.size()); });
        report(comm, "124M, one buffer", 124e6, s, repeats, params / 124e6);
      }
    }
  } catch (const dc::Error& e) {
    std::fprintf(stderr, "bench_allreduce: error: %s\n", e.what());
    return 1;
  }
  dc::dist::finalize();
  return 0;
}
