// A bounded load test of `diffucoder serve`: the server runs in this process on a free loopback port, and
// --clients threads send --requests chat completions in all (each client its next one as soon as its last
// returned) with httplib's client, for --rounds rounds. Prints per round the latency percentiles, the
// throughput (requests/s, completion tokens/s), the errors, and the resident memory of the process (the
// server; the clients hold next to nothing) before and after. Prints figures; asserts nothing about time,
// but exits 1 when a request failed.
//   bench_serve_load [--model DIR] [--requests 64] [--clients 8] [--max-batch 8] [--max-tokens 64]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/thread_pool.h"
#include "generate/text_generator.h"
#include "server/server.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// Resident memory of this process in MiB (VmRSS of /proc/self/status).
double resident_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// The task prompts of a jsonl file ("prompt" of each line), each asked in the bundled model's chat form.
std::vector<std::string> load_questions(const std::string& path) {
  std::ifstream in(path);
  if (!in) dc::throw_error("{}: cannot open", path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    out.push_back("Please complete the following problem:\n```\n" +
                  json::parse(line).at("prompt").get<std::string>() + "```");
  }
  if (out.empty()) dc::throw_error("{}: no prompts", path);
  return out;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5));
  return v[i];
}

struct RoundResult {
  std::vector<double> latencies;  // seconds, of the requests that succeeded
  int errors = 0;
  int64_t completion_tokens = 0;
  double seconds = 0;
};

RoundResult run_round(int port, const std::vector<std::string>& questions, int requests, int clients,
                      int max_tokens, int round) {
  RoundResult r;
  std::mutex mu;
  std::atomic<int> next{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(300, 0);
      client.set_keep_alive(true);
      for (int i = next++; i < requests; i = next++) {
        const json body = {
            {"messages", {{{"role", "user"}, {"content", questions[size_t(i) % questions.size()]}}}},
            {"max_tokens", max_tokens},
            {"seed", round * requests + i}};
        const auto start = Clock::now();
        auto res = client.Post("/v1/chat/completions", body.dump(), "application/json");
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        std::lock_guard lock(mu);
        if (!res || res->status != 200) {
          ++r.errors;
          std::fprintf(stderr, "request %d: %s\n", i,
                       res ? res->body.c_str() : httplib::to_string(res.error()).c_str());
          continue;
        }
        r.latencies.push_back(seconds);
        r.completion_tokens += json::parse(res->body)["usage"]["completion_tokens"].get<int64_t>();
      }
    });
  }
  for (auto& t : threads) t.join();
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Load test of diffucoder serve on loopback: latency, throughput, errors, memory"};
  std::string model = std::string(DC_SOURCE_DIR) + "/models/diffucoder-tiny";
  std::string prompts;
  int requests = 64, clients = 8, max_tokens = 64, rounds = 2, threads = 0;
  dc::server::ServerOptions options;
  options.limits.max_batch_rows = 8;
  app.add_option("--model", model, "Model folder")->capture_default_str();
  app.add_option("--prompts", prompts,
                 "jsonl with a \"prompt\" per line (default: the model's heldout.jsonl)");
  app.add_option("--requests", requests, "Requests per round")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--clients", clients, "Concurrent clients")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-batch", options.limits.max_batch_rows, "The server's --max-batch (1: no batching)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-tokens", max_tokens, "max_tokens of each request")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--rounds", rounds, "Rounds (memory is read after each)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "Decoding threads (0: all cores)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    if (prompts.empty()) prompts = model + "/heldout.jsonl";
    const std::vector<std::string> questions = load_questions(prompts);
    dc::set_num_threads(threads);
    dc::TextGenerator generator(model);
    options.host = "127.0.0.1";
    options.port = 0;
    options.model_name = "bench";
    options.limits.max_queue = std::max(options.limits.max_queue, clients * 2);
    options.limits.max_tokens = std::max(options.limits.max_tokens, max_tokens);
    dc::server::Server server(generator, options);
    std::thread serving([&] { server.run(); });
    std::printf(
        "model %s, %d threads, max-batch %d, %d requests x %d rounds from %d clients, max_tokens %d\n",
        model.c_str(), dc::global_pool().size(), options.limits.max_batch_rows, requests, rounds, clients,
        max_tokens);
    std::printf("resident memory at start: %.1f MiB\n", resident_mib());
    int errors = 0;
    for (int round = 0; round < rounds; ++round) {
      const double before = resident_mib();
      const RoundResult r = run_round(server.port(), questions, requests, clients, max_tokens, round);
      const double after = resident_mib();
      errors += r.errors;
      const double p50 = r.latencies.empty() ? 0 : percentile(r.latencies, 0.50);
      const double p99 = r.latencies.empty() ? 0 : percentile(r.latencies, 0.99);
      std::printf(
          "round %d: %zu ok, %d errors in %.2f s: latency p50 %.3f s p99 %.3f s; %.2f requests/s, "
          "%.1f completion tokens/s; resident memory %.1f -> %.1f MiB\n",
          round + 1, r.latencies.size(), r.errors, r.seconds, p50, p99,
          double(r.latencies.size()) / r.seconds, double(r.completion_tokens) / r.seconds, before, after);
      std::fflush(stdout);
    }
    server.shutdown(0);
    serving.join();
    return errors == 0 ? 0 : 1;
  } catch (const dc::Error& e) {
    std::fprintf(stderr, "bench_serve_load: %s\n", e.what());
    return 1;
  }
}
