// Counters of a running server, read by GET /metrics in the Prometheus text format (version 0.0.4):
// requests by endpoint and status, prompt and completion tokens, the queue depth, denoising steps and
// their time, batches and their rows. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace dc::server {

class Metrics {
 public:
  void count_request(const std::string& path, int status);
  void add_tokens(int64_t prompt, int64_t completion);
  void observe_step(double seconds);
  void observe_batch(int rows);
  void set_queue_depth(int waiting, int running);

  std::string prometheus_text() const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;  // (path, status) -> count
  int64_t prompt_tokens_ = 0, completion_tokens_ = 0;
  int64_t steps_ = 0;
  double step_seconds_ = 0;
  int64_t batches_ = 0, batch_rows_ = 0;
  int waiting_ = 0, running_ = 0;
};

}  // namespace dc::server
