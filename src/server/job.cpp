// The hand-over between a request's handler and the worker (see job.h).
#include "server/job.h"

namespace dc::server {

std::vector<std::string> Job::take_events(std::chrono::milliseconds timeout, bool* ended) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !events_.empty() || done_; });
  std::vector<std::string> out(std::make_move_iterator(events_.begin()),
                               std::make_move_iterator(events_.end()));
  events_.clear();
  *ended = done_;
  return out;
}

std::string Job::wait_body() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return done_; });
  if (error_) throw *error_;
  return body_;
}

void Job::push_event(std::string payload) {
  {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(payload));
  }
  cv_.notify_all();
}

void Job::complete(std::string body) {
  {
    std::lock_guard lock(mu_);
    if (done_) return;
    if (request.stream) events_.push_back("[DONE]");
    body_ = std::move(body);
    done_ = true;
  }
  cv_.notify_all();
}

void Job::fail(const ApiError& error) {
  {
    std::lock_guard lock(mu_);
    if (done_) return;
    if (request.stream) {
      events_.push_back(error_body(error));
      events_.push_back("[DONE]");
    }
    error_ = error;
    done_ = true;
  }
  cv_.notify_all();
}

bool Job::done() const {
  std::lock_guard lock(mu_);
  return done_;
}

}  // namespace dc::server
