// Tokenizer throughput: encoding speed of Python source on one core (target: >= 5 MB/s), with a cold word
// cache (first pass) and a warm one (second pass), decoding speed, and load times of the Qwen tokenizer
// (tokenizer.json) and the tiny model's slow-layout files. The corpus is every *.py file under --dir
// (default /usr/lib/python3.11, up to --mb MB); where that folder is missing, the Python snippets of the
// golden fixture. Rates are given per wall-clock second and per second of this thread's CPU time (the
// latter is what one core does when the machine is shared). Prints figures only; asserts nothing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

std::vector<std::string> python_corpus(const std::string& dir, double max_mb) {
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) {
    std::vector<fs::path> paths;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->is_regular_file(ec) && it->path().extension() == ".py") paths.push_back(it->path());
    }
    std::sort(paths.begin(), paths.end());
    size_t total = 0;
    for (const auto& p : paths) {
      std::ifstream in(p, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      total += ss.str().size();
      files.push_back(ss.str());
      if (double(total) > max_mb * 1e6) break;
    }
  }
  if (files.empty()) {
    std::ifstream in(std::string(DC_SOURCE_DIR) + "/tests/testdata/tokenizer/golden_qwen.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line);
      if (j["src"].get<std::string>().rfind("python:", 0) == 0) files.push_back(j["text"].get<std::string>());
    }
  }
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tokenizer throughput"};
  std::string dir = "/usr/lib/python3.11";
  double max_mb = 8.0;
  app.add_option("--dir", dir, "folder whose *.py files are the corpus");
  app.add_option("--mb", max_mb, "corpus size limit in MB");
  CLI11_PARSE(app, argc, argv);

  const std::string qwen_dir = std::string(DC_SOURCE_DIR) + "/tests/testdata/tokenizer/qwen";
  double c0 = thread_cpu_seconds();
  const dc::Tokenizer qwen = dc::Tokenizer::load(qwen_dir);
  const double load_qwen = thread_cpu_seconds() - c0;
  c0 = thread_cpu_seconds();
  const dc::Tokenizer tiny = dc::Tokenizer::load(std::string(DC_SOURCE_DIR) + "/tests/testdata/tiny-dream");
  const double load_tiny = thread_cpu_seconds() - c0;
  std::printf("load (cpu time): Qwen tokenizer.json (151,669 tokens) %.3f s; tiny-dream slow layout %.4f s\n",
              load_qwen, load_tiny);
  Clock::time_point t0;

  const auto files = python_corpus(dir, max_mb);
  size_t bytes = 0;
  for (const auto& f : files) bytes += f.size();
  std::printf("corpus: %zu Python files, %.2f MB\n", files.size(), double(bytes) / 1e6);

  for (const auto* tok : {&qwen, &tiny}) {
    const char* name = tok == &qwen ? "qwen" : "tiny-dream";
    size_t tokens = 0;
    std::vector<std::vector<int32_t>> all(files.size());
    for (int pass = 0; pass < 2; ++pass) {
      t0 = Clock::now();
      const double c0 = thread_cpu_seconds();
      tokens = 0;
      for (size_t i = 0; i < files.size(); ++i) {
        all[i] = tok->encode(files[i]);
        tokens += all[i].size();
      }
      const double s = seconds_since(t0), c = thread_cpu_seconds() - c0;
      std::printf(
          "encode %-10s %s cache: %6.2f MB/s wall, %6.2f MB/s cpu, %9.0f tokens/s cpu (%.2f bytes/token)\n",
          name, pass == 0 ? "cold" : "warm", double(bytes) / 1e6 / s, double(bytes) / 1e6 / c,
          double(tokens) / c, double(bytes) / double(std::max<size_t>(tokens, 1)));
    }
    t0 = Clock::now();
    const double c0 = thread_cpu_seconds();
    size_t out = 0;
    for (const auto& ids : all) out += tok->decode(ids).size();
    const double s = seconds_since(t0), c = thread_cpu_seconds() - c0;
    std::printf("decode %-10s            %6.2f MB/s wall, %6.2f MB/s cpu, %9.0f tokens/s cpu\n", name,
                double(out) / 1e6 / s, double(out) / 1e6 / c, double(tokens) / c);
  }
  return 0;
}
