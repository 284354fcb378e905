// A server on an ephemeral loopback port over the tiny test model, run on its own thread, and small
// helpers for talking to it with httplib's client (test code).
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "generate/text_generator.h"
#include "server/server.h"

namespace dc::server::testing {

inline TextGenerator& tiny_generator() {
  static TextGenerator gen(std::string(DC_TESTDATA_DIR) + "/tiny-dream");
  return gen;
}

class RunningServer {
 public:
  explicit RunningServer(ServerOptions options = {}) {
    options.port = 0;
    if (options.model_name.empty()) options.model_name = "tiny-dream";
    server_ = std::make_unique<Server>(tiny_generator(), options);
    thread_ = std::thread([this] { server_->run(); });
  }
  ~RunningServer() { stop(0); }

  void stop(int grace_ms) {
    if (!server_) return;
    server_->shutdown(grace_ms);
    thread_.join();
    server_.reset();
  }
  int port() const { return server_->port(); }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(60, 0);
    return c;
  }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

// The `data:` payloads of an SSE body, in order ("[DONE]" included).
inline std::vector<std::string> sse_payloads(const std::string& body) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < body.size()) {
    size_t end = body.find("\n\n", at);
    if (end == std::string::npos) end = body.size();
    const std::string event = body.substr(at, end - at);
    if (event.rfind("data: ", 0) == 0) out.push_back(event.substr(6));
    at = end + 2;
  }
  return out;
}

}  // namespace dc::server::testing
