// `diffucoder serve`: the OpenAI-compatible HTTP server (src/server/server.h) over one model folder.
// SIGTERM or SIGINT stops it gracefully: no new requests, the running batch finishes (or is cancelled after
// --grace seconds), then the process exits 0.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli.h"
#include "core/thread_pool.h"
#include "flag_checks.h"
#include "generate/text_generator.h"
#include "model_path.h"
#include "server/server.h"

namespace dc::cli {
namespace {

struct ServeOptions {
  std::string model;
  int threads = 0;
  double grace = 10;
  server::ServerOptions server;
};

void run_serve(ServeOptions o) {
  // Block the stop signals in every thread (the ones started below inherit the mask); one thread waits
  // for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  set_num_threads(o.threads);
  const std::string model_dir = resolve_model_dir(o.model);
  TextGenerator generator(model_dir);
  if (o.server.model_name.empty())
    o.server.model_name = std::filesystem::path(model_dir).lexically_normal().filename().string();
  if (o.server.model_name.empty()) o.server.model_name = "diffucoder";
  server::Server srv(generator, o.server);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::fprintf(stderr, "diffucoder: serve: signal %d, stopping\n", sig);
    srv.shutdown(int(o.grace * 1000));
  });
  std::fprintf(stderr, "diffucoder: serving %s on http://%s:%d (%d threads)\n", o.server.model_name.c_str(),
               o.server.host.c_str(), srv.port(), global_pool().size());
  srv.run();
  waiter.join();
  std::fprintf(stderr, "diffucoder: serve: stopped\n");
}

DC_SUBCOMMAND("serve", [](CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  server::ServerOptions& s = o->server;
  server::ServerLimits& l = s.limits;
  auto* sub = app.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API");
  sub->add_option("--model", o->model, "Model folder (config.json, safetensors, tokenizer files)");
  sub->add_option("--host", s.host, "Address to listen on (loopback unless told otherwise)")
      ->capture_default_str();
  sub->add_option("--port", s.port, "Port (0: any free port)")
      ->capture_default_str()
      ->check(int_range(0, 65535));
  sub->add_option("--api-key", s.api_key, "Require 'Authorization: Bearer KEY' on every path but /health");
  sub->add_option("--model-name", s.model_name,
                  "Model id in /v1/models and responses (default: the folder's name)");
  sub->add_option("--threads", o->threads, "Decoding threads (0: all cores)")->capture_default_str();
  sub->add_option("--max-body-bytes", l.max_body_bytes, "Largest request body (413 above)")
      ->capture_default_str();
  sub->add_option("--max-tokens", l.max_tokens, "Largest max_tokens a request may ask")
      ->capture_default_str()
      ->check(int_range(1, 1 << 20));
  sub->add_option("--max-n", l.max_n, "Most choices per request")
      ->capture_default_str()
      ->check(int_range(1, 1024));
  sub->add_option("--max-queue", l.max_queue, "Requests waiting or running (429 above)")
      ->capture_default_str()
      ->check(int_range(1, 4096));
  sub->add_option("--max-batch", l.max_batch_rows, "Rows decoded together (1: no batching)")
      ->capture_default_str()
      ->check(int_range(1, 4096));
  sub->add_option("--timeout", l.max_seconds, "Wall time of a request in seconds (504 after)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--read-timeout", l.read_timeout_seconds, "Seconds a client may stall while sending")
      ->capture_default_str()
      ->check(int_range(1, 3600));
  sub->add_option("--grace", o->grace, "Seconds the running batch may take to finish on SIGTERM")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->callback([o] { run_serve(*o); });
});

}  // namespace
}  // namespace dc::cli
