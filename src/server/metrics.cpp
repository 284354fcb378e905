// Prometheus text exposition of the server's counters (see metrics.h).
#include "server/metrics.h"

#include <fmt/format.h>

namespace dc::server {

void Metrics::count_request(const std::string& path, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{path, status}];
}

void Metrics::add_tokens(int64_t prompt, int64_t completion) {
  std::lock_guard lock(mu_);
  prompt_tokens_ += prompt;
  completion_tokens_ += completion;
}

void Metrics::observe_step(double seconds) {
  std::lock_guard lock(mu_);
  ++steps_;
  step_seconds_ += seconds;
}

void Metrics::observe_batch(int rows) {
  std::lock_guard lock(mu_);
  ++batches_;
  batch_rows_ += rows;
}

void Metrics::set_queue_depth(int waiting, int running) {
  std::lock_guard lock(mu_);
  waiting_ = waiting;
  running_ = running;
}

std::string Metrics::prometheus_text() const {
  std::lock_guard lock(mu_);
  std::string out;
  auto metric = [&out](const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  metric("diffucoder_requests_total", "counter", "HTTP requests answered, by path and status.");
  for (const auto& [key, n] : requests_)
    out +=
        fmt::format("diffucoder_requests_total{{path=\"{}\",status=\"{}\"}} {}\n", key.first, key.second, n);
  metric("diffucoder_prompt_tokens_total", "counter", "Prompt tokens of completed requests.");
  out += fmt::format("diffucoder_prompt_tokens_total {}\n", prompt_tokens_);
  metric("diffucoder_completion_tokens_total", "counter", "Completion tokens returned.");
  out += fmt::format("diffucoder_completion_tokens_total {}\n", completion_tokens_);
  metric("diffucoder_queue_waiting", "gauge", "Requests waiting for the decoder.");
  out += fmt::format("diffucoder_queue_waiting {}\n", waiting_);
  metric("diffucoder_queue_running", "gauge", "Requests being decoded.");
  out += fmt::format("diffucoder_queue_running {}\n", running_);
  metric("diffucoder_step_seconds", "summary", "Wall time of denoising steps (one model call on a batch).");
  out += fmt::format("diffucoder_step_seconds_sum {}\ndiffucoder_step_seconds_count {}\n", step_seconds_,
                     steps_);
  metric("diffucoder_batches_total", "counter", "Batches decoded.");
  out += fmt::format("diffucoder_batches_total {}\n", batches_);
  metric("diffucoder_batch_rows_total", "counter", "Rows (choices) decoded, summed over batches.");
  out += fmt::format("diffucoder_batch_rows_total {}\n", batch_rows_);
  return out;
}

}  // namespace dc::server
