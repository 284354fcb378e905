// The request queue and the one worker that decodes it. Requests whose generation settings agree
// (batch_key) and that wait together are decoded in one left-padded batch, each choice on its own random
// stream (seed, choice index), so a choice's text does not depend on the other rows' random draws. After
// every step the worker streams each choice's new committed text, sends canvases to the clients that asked,
// and stops the batch early once no row needs more steps (every answer settled, cancelled or out of time).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "generate/text_generator.h"
#include "server/job.h"
#include "server/limits.h"
#include "server/metrics.h"

namespace dc::server {

class Scheduler {
 public:
  Scheduler(TextGenerator& generator, const ServerLimits& limits, Metrics& metrics);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a job. Throws ApiError 429 when limits.max_queue requests are already waiting or running, 503
  // once shutting down.
  void submit(std::shared_ptr<Job> job);

  // Takes no more jobs; the waiting ones fail with 503; the running batch has `grace` to finish, then is
  // stopped (its jobs fail with 503). Joins the worker. Idempotent.
  void shutdown(std::chrono::milliseconds grace);

 private:
  void worker_loop();
  std::vector<std::shared_ptr<Job>> next_batch();  // under mu_; removes the jobs from the queue
  void run_batch(const std::vector<std::shared_ptr<Job>>& jobs);
  // The batch's decoding is over: its requests no longer count against the queue's limit, so a client
  // that sends its next request as soon as it has its answer finds the room its last one left.
  void release_batch();
  void publish_depth();  // under mu_

  TextGenerator& generator_;
  const ServerLimits limits_;
  Metrics& metrics_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  int running_ = 0;
  bool stopping_ = false;
  std::atomic<bool> abort_{false};  // the running batch must stop now
  std::thread worker_;
};

}  // namespace dc::server
