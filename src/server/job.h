// One HTTP request between its handler and the decoding worker. The handler queues it and then either
// waits for the whole body (wait_body) or relays stream events as they come (take_events); the worker fills
// it from the step callback and at the end. A handler whose client went away cancels it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/api_error.h"
#include "server/completion_request.h"
#include "server/responses.h"

namespace dc::server {

using Clock = std::chrono::steady_clock;

class Job {
 public:
  Job(CompletionRequest request, ResponseHeader header, Clock::time_point deadline)
      : request(std::move(request)), header(std::move(header)), deadline(deadline) {}

  const CompletionRequest request;
  const ResponseHeader header;
  const Clock::time_point deadline;  // the worker gives up on it after this (504)

  // Handler side. The stream's SSE payloads in order, waiting up to `timeout` for the first; `*ended` is
  // set once the last ("[DONE]") was taken.
  std::vector<std::string> take_events(std::chrono::milliseconds timeout, bool* ended);
  // The response body once the job ended; throws its ApiError when it failed.
  std::string wait_body();
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }

  // Worker side. A stream's payload; the whole body (a stream: the end, "[DONE]"); a failure (a stream: an
  // error payload, then "[DONE]").
  void push_event(std::string payload);
  void complete(std::string body = {});
  void fail(const ApiError& error);
  bool done() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> events_;
  bool done_ = false;
  std::string body_;
  std::optional<ApiError> error_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace dc::server
