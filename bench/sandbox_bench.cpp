// Sandbox overheads: start-up of one sandboxed interpreter with and without namespaces, a run_tests
// request with many trivial tests, and Pool throughput. Prints figures; asserts nothing about time.
//   bench_sandbox [--runs N] [--requests N] [--touch-gib G]
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "sandbox/sandbox.h"

using namespace dc::sandbox;
using Clock = std::chrono::steady_clock;

static double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

static TestRunRequest trivial_request(int tests) {
  TestRunRequest r;
  r.program = "def f(x):\n    return x * 2\n";
  r.harness = "def run_test(ns, text):\n    return repr(ns['f'](int(text)))\n";
  for (int i = 0; i < tests; ++i) r.inputs.push_back(std::to_string(i));
  return r;
}

int main(int argc, char** argv) {
  CLI::App app("sandbox overheads");
  int runs = 20, requests = 32;
  double touch_gib = 2;
  app.add_option("--runs", runs, "sandboxes per start-up figure");
  app.add_option("--requests", requests, "requests for the pool figure");
  app.add_option("--touch-gib", touch_gib, "memory the caller holds for the last figure (fork cost)");
  CLI11_PARSE(app, argc, argv);

  std::printf("layers: %s\n", probe_layers().describe().c_str());
  // The read allowlist's cost: the same start with the whole file system readable (the baseline; with
  // namespaces the new root is then not built, without them Landlock gets one rule instead of ~15).
  for (bool ns : {true, false}) {
    double ms[2] = {0, 0};
    for (bool restrict_reads : {false, true}) {
      Job j;
      j.argv = {"/usr/bin/python3", "-I", "-B", "-c", "pass"};
      j.use_namespaces = ns;
      j.restrict_reads = restrict_reads;
      run_process(j);  // warm the page cache
      auto t0 = Clock::now();
      for (int i = 0; i < runs; ++i) {
        if (run_process(j).status != Status::Ok) std::fprintf(stderr, "run_process failed\n");
      }
      ms[restrict_reads] = 1e3 * since(t0) / runs;
      std::printf("run_process python3 -c pass, %-13s, %-22s: %7.1f ms per run\n",
                  ns ? "namespaces" : "no namespaces",
                  restrict_reads ? "read allowlist" : "whole file system readable", ms[restrict_reads]);
    }
    std::printf("  read allowlist cost per start (%s): %+.2f ms\n", ns ? "namespaces" : "no namespaces",
                ms[1] - ms[0]);
  }
  {
    TestRunRequest r = trivial_request(1000);
    auto t0 = Clock::now();
    TestRunResult res = run_tests(r);
    double s = since(t0);
    std::printf("run_tests, 1000 trivial tests in one sandbox: %7.1f ms total, %.1f us per test (%s)\n",
                1e3 * s, 1e6 * s / 1000, status_name(res.tests.back().status));
  }
  {
    std::vector<TestRunRequest> reqs(size_t(requests), trivial_request(5));
    Pool pool;
    auto t0 = Clock::now();
    pool.run_all(reqs);
    double s = since(t0);
    std::printf("Pool(%d): %d requests of 5 tests: %.2f s, %.1f requests/s\n", pool.workers(), requests, s,
                requests / s);
  }
  {
    // Starting a sandbox forks the caller: with a large resident caller (a loaded model) the page
    // tables are copied on every start.
    std::vector<char> ballast(size_t(touch_gib * (1ull << 30)));
    for (size_t i = 0; i < ballast.size(); i += 4096) ballast[i] = 1;
    Job j;
    j.argv = {"/usr/bin/python3", "-I", "-B", "-c", "pass"};
    auto t0 = Clock::now();
    for (int i = 0; i < runs; ++i) run_process(j);
    std::printf("run_process python3 -c pass with %.1f GiB resident in the caller: %7.1f ms per run\n",
                touch_gib, 1e3 * since(t0) / runs);
  }
  return 0;
}
