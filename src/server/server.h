// `diffucoder serve`: an OpenAI-compatible HTTP server over one model (cpp-httplib does the HTTP).
//   GET  /health                 {"status": "ok"}
//   GET  /v1/models              the served model
//   POST /v1/completions         prompt -> text (completion_request.h has the fields)
//   POST /v1/chat/completions    messages -> the instruct template -> text
//   GET  /metrics                Prometheus text (metrics.h)
//   GET  /                       the playground (web/, embedded: web_assets.h), and its files
// With "stream": true a completion is sent as server-sent events, `data: {chunk}` lines ending with
// `data: [DONE]`, each chunk the new committed text of one choice (stream_delta.h). Errors are OpenAI's
// error shape (api_error.h). With an API key every path but /health and the playground's files needs
// "Authorization: Bearer KEY".
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "generate/text_generator.h"
#include "server/limits.h"

namespace dc::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;         // 0: any free port (port() tells which)
  std::string api_key;     // empty: no authentication
  std::string model_name;  // the id /v1/models lists and responses echo when a request names none
  ServerLimits limits;
  int http_threads = 0;  // connection threads; 0: max_queue + 4
};

class Server {
 public:
  // Binds the socket (dc::Error when it cannot) and starts the decoding worker; serving starts with run().
  Server(TextGenerator& generator, const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  // Serves until shutdown(); returns then.
  void run();
  // Graceful stop, callable from any thread: no new requests are taken (503), waiting requests fail, the
  // running batch gets `grace_ms` to finish before it is cancelled; then the listener closes and run()
  // returns.
  void shutdown(int grace_ms = 10000);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace dc::server
