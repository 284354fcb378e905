// The HTTP front of the server (see server.h): routes, authentication, limits and the streaming relay.
// Parsing is completion_request.cpp, decoding scheduler.cpp; nothing here touches the model.
#include "server/server.h"

#include <ctime>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "server/api_error.h"
#include "server/completion_request.h"
#include "server/job.h"
#include "server/metrics.h"
#include "server/responses.h"
#include "server/scheduler.h"
#include "server/web_assets.h"

namespace dc::server {
namespace {

constexpr char kJson[] = "application/json";

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(error_body(e), kJson);
}

// The error a status httplib produced by itself (no route, body too large, unreadable request) stands for.
ApiError status_error(int status) {
  switch (status) {
    case 404:
      return ApiError(404, "invalid_request_error", "", "not_found", "no such path");
    case 405:
      return ApiError(405, "invalid_request_error", "", "method_not_allowed", "method not allowed");
    case 413:
      return ApiError(413, "invalid_request_error", "", "payload_too_large", "the request body is too large");
    case 414:
      return ApiError(414, "invalid_request_error", "", "uri_too_long", "the request URI is too long");
    default:
      break;
  }
  if (status >= 500) return ApiError(status, "server_error", "", "", "internal server error");
  return ApiError(status, "invalid_request_error", "", "", "the HTTP request could not be read");
}

// The playground's file at `path` ("/" is /index.html), or nullptr.
const WebAsset* web_asset(const std::string& path) {
  const std::string_view want = path == "/" ? std::string_view("/index.html") : std::string_view(path);
  for (const WebAsset& a : web_assets())
    if (a.path == want) return &a;
  return nullptr;
}

// The playground fetches nothing but its own files and this server's API.
constexpr char kPageSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// Paths in the metrics: the known ones, everything else as "other" (a client must not grow the label set).
std::string metric_path(const std::string& path) {
  for (const char* known : {"/health", "/v1/models", "/v1/completions", "/v1/chat/completions", "/metrics"})
    if (path == known) return path;
  if (web_asset(path)) return path;
  return "other";
}

}  // namespace

struct Server::State {
  State(TextGenerator& generator, const ServerOptions& options)
      : generator(generator), options(options), scheduler(generator, options.limits, metrics) {}

  TextGenerator& generator;
  const ServerOptions options;
  Metrics metrics;
  Scheduler scheduler;
  httplib::Server http;
  int port = 0;
  int64_t started = int64_t(std::time(nullptr));
  std::atomic<uint64_t> next_id{1};
  std::atomic<bool> draining{false};

  void completion(Endpoint endpoint, const httplib::Request& req, httplib::Response& res);
};

void Server::State::completion(Endpoint endpoint, const httplib::Request& req, httplib::Response& res) {
  if (draining) throw ApiError(503, "server_error", "", "shutting_down", "the server is shutting down");
  CompletionRequest request =
      parse_completion_request(req.body, endpoint, options.limits, generator.model().config().arch);
  ResponseHeader header;
  header.id = fmt::format("{}-{:016x}", endpoint == Endpoint::ChatCompletions ? "chatcmpl" : "cmpl",
                          next_id.fetch_add(1) * 0x9e3779b97f4a7c15ull);
  header.created = int64_t(std::time(nullptr));
  header.model = request.model.empty() ? options.model_name : request.model;
  header.endpoint = endpoint;
  const bool stream = request.stream;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(options.limits.max_seconds));
  auto job = std::make_shared<Job>(std::move(request), std::move(header), deadline);
  scheduler.submit(job);
  if (!stream) {
    res.set_content(job->wait_body(), kJson);
    return;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [job](size_t, httplib::DataSink& sink) {
        bool ended = false;
        std::vector<std::string> events = job->take_events(std::chrono::milliseconds(500), &ended);
        std::string out;
        for (const std::string& e : events) out += "data: " + e + "\n\n";
        // An idle stream sends an SSE comment, which also finds a client that has gone.
        if (out.empty() && !ended) out = ": keep-alive\n\n";
        if (!out.empty() && !sink.write(out.data(), out.size())) {
          job->cancel();
          return false;
        }
        if (ended) sink.done();
        return true;
      },
      [job](bool success) {
        if (!success) job->cancel();
      });
}

Server::Server(TextGenerator& generator, const ServerOptions& options)
    : state_(std::make_unique<State>(generator, options)) {
  State& s = *state_;
  httplib::Server& http = s.http;
  const ServerLimits& limits = options.limits;
  const size_t threads =
      options.http_threads > 0 ? size_t(options.http_threads) : size_t(limits.max_queue + 4);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(limits.max_body_bytes);
  http.set_read_timeout(limits.read_timeout_seconds, 0);
  http.set_write_timeout(limits.read_timeout_seconds, 0);
  http.set_keep_alive_timeout(2);

  http.set_pre_routing_handler([&s](const httplib::Request& req, httplib::Response& res) {
    // The playground's files hold no secrets; the page sends the key with its API calls.
    if (s.options.api_key.empty() || req.path == "/health" || web_asset(req.path))
      return httplib::Server::HandlerResponse::Unhandled;
    if (req.get_header_value("Authorization") == "Bearer " + s.options.api_key)
      return httplib::Server::HandlerResponse::Unhandled;
    send_error(res, ApiError(401, "authentication_error", "", "invalid_api_key",
                             "a valid API key is needed: send 'Authorization: Bearer KEY'"));
    return httplib::Server::HandlerResponse::Handled;
  });
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) send_error(res, status_error(res.status));
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const ApiError& e) {
      send_error(res, e);
    } catch (const std::exception& e) {
      send_error(res, ApiError(500, "server_error", "", "internal_error", e.what()));
    } catch (...) {
      send_error(res, ApiError(500, "server_error", "", "internal_error", "unknown error"));
    }
  });
  http.set_logger([&s](const httplib::Request& req, const httplib::Response& res) {
    s.metrics.count_request(metric_path(req.path), res.status);
  });

  http.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", kJson);
  });
  http.Get("/v1/models", [&s](const httplib::Request&, httplib::Response& res) {
    res.set_content(models_body(s.options.model_name, s.started), kJson);
  });
  http.Get("/metrics", [&s](const httplib::Request&, httplib::Response& res) {
    res.set_content(s.metrics.prometheus_text(), "text/plain; version=0.0.4");
  });
  http.Get("/([A-Za-z0-9_.-]*)", [](const httplib::Request& req, httplib::Response& res) {
    const WebAsset* asset = web_asset(req.path);
    if (!asset) throw ApiError(404, "invalid_request_error", "", "not_found", "no such path");
    res.set_header("Content-Security-Policy", kPageSecurityPolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Cache-Control", "no-cache");
    res.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type));
  });
  auto route = [&s](Endpoint endpoint) {
    return [&s, endpoint](const httplib::Request& req, httplib::Response& res) {
      try {
        s.completion(endpoint, req, res);
      } catch (const ApiError& e) {
        send_error(res, e);
      }
    };
  };
  http.Post("/v1/completions", route(Endpoint::Completions));
  http.Post("/v1/chat/completions", route(Endpoint::ChatCompletions));

  if (options.port == 0) {
    s.port = http.bind_to_any_port(options.host);
  } else {
    s.port = http.bind_to_port(options.host, options.port) ? options.port : -1;
  }
  if (s.port < 0) {
    s.scheduler.shutdown(std::chrono::milliseconds(0));
    throw_error("serve: cannot listen on {}:{}", options.host, options.port);
  }
}

Server::~Server() {
  shutdown(0);
}

int Server::port() const {
  return state_->port;
}

void Server::run() {
  state_->http.listen_after_bind();
}

void Server::shutdown(int grace_ms) {
  State& s = *state_;
  s.draining = true;
  s.scheduler.shutdown(std::chrono::milliseconds(grace_ms));
  s.http.stop();
}

}  // namespace dc::server
