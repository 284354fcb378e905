// Opening a DiffuCoder-7B-shaped checkpoint: 4 BF16 shards (15.2 GB, written sparse so they take no disk)
// plus the index and config.json. Prints the time to map and validate everything and the resident memory it
// costs; both must stay tiny because nothing is read eagerly. Figures only, no assertions.
//   bench_checkpoint [--iterations N] [--dir PATH]   (default: a temporary folder, removed afterwards)
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/process_memory.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/random_checkpoint.h"

int main(int argc, char** argv) {
  CLI::App app{"Time to open and validate a 7B-shaped sharded BF16 checkpoint"};
  int iterations = 20;
  std::string dir;
  app.add_option("--iterations", iterations, "opens to time");
  app.add_option("--dir", dir, "folder for the sparse checkpoint (default: a temporary one)");
  CLI11_PARSE(app, argc, argv);
  try {
    bool temporary = dir.empty();
    if (temporary) {
      std::string tmpl = std::filesystem::temp_directory_path().string() + "/dc_ckpt_bench_XXXXXX";
      if (!::mkdtemp(tmpl.data())) dc::throw_error("{}: cannot create a temporary folder", tmpl);
      dir = tmpl;
    }
    dc::write_sparse_checkpoint(dir, dc::diffucoder_7b_config(), 4);
    const long rss0 = dc::resident_kib();
    double best_ms = 1e30, sum_ms = 0;
    uint64_t bytes = 0;
    long rss_open = 0;
    for (int i = 0; i < iterations; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      dc::Checkpoint ck = dc::Checkpoint::open(dir);
      auto t1 = std::chrono::steady_clock::now();
      const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
      best_ms = std::min(best_ms, ms);
      sum_ms += ms;
      bytes = ck.total_bytes();
      rss_open = std::max(rss_open, dc::resident_kib() - rss0);
    }
    std::printf(
        "checkpoint_open_7b_bf16_4_shards: %.2f GB of weights, open+validate best %.2f ms, mean %.2f ms "
        "over %d, resident memory while open +%.1f MiB\n",
        double(bytes) / 1e9, best_ms, sum_ms / iterations, iterations, double(rss_open) / 1024.0);
    if (temporary) std::filesystem::remove_all(dir);
  } catch (const dc::Error& e) {
    std::fprintf(stderr, "bench_checkpoint: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
