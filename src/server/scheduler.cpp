// The queue and the decoding worker (see scheduler.h).
#include "server/scheduler.h"

#include <algorithm>

#include "core/error.h"
#include "server/choice_tracker.h"

namespace dc::server {
namespace {

const ApiError kShuttingDown(503, "server_error", "", "shutting_down", "the server is shutting down");

ApiError timed_out(double seconds) {
  return ApiError(504, "timeout_error", "", "timeout",
                  fmt::format("the request took longer than the server's limit of {} s", seconds));
}

// One batch row: choice `choice` of `job`.
struct Row {
  Job* job;
  int choice;
};

std::vector<std::optional<std::string>> slot_texts(const Tokenizer& tok, std::span<const int32_t> slots,
                                                   int32_t mask) {
  std::vector<std::optional<std::string>> out;
  out.reserve(slots.size());
  for (const int32_t& id : slots) {
    if (id == mask) {
      out.emplace_back(std::nullopt);
    } else {
      out.emplace_back(tok.decode(std::span(&id, 1)));
    }
  }
  return out;
}

}  // namespace

Scheduler::Scheduler(TextGenerator& generator, const ServerLimits& limits, Metrics& metrics)
    : generator_(generator), limits_(limits), metrics_(metrics), worker_([this] { worker_loop(); }) {}

Scheduler::~Scheduler() {
  shutdown(std::chrono::milliseconds(0));
}

void Scheduler::submit(std::shared_ptr<Job> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) throw kShuttingDown;
    if (int(queue_.size()) + running_ >= limits_.max_queue)
      throw ApiError(429, "rate_limit_error", "", "queue_full",
                     fmt::format("the server's queue is full ({} requests); retry later", limits_.max_queue));
    queue_.push_back(std::move(job));
    publish_depth();
  }
  cv_.notify_all();
}

void Scheduler::shutdown(std::chrono::milliseconds grace) {
  {
    std::unique_lock lock(mu_);
    stopping_ = true;
    for (auto& job : queue_) job->fail(kShuttingDown);
    queue_.clear();
    publish_depth();
    cv_.notify_all();
    if (!cv_.wait_for(lock, grace, [&] { return running_ == 0; })) abort_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Scheduler::release_batch() {
  {
    std::lock_guard lock(mu_);
    running_ = 0;
    publish_depth();
  }
  cv_.notify_all();
}

void Scheduler::publish_depth() {
  metrics_.set_queue_depth(int(queue_.size()), running_);
}

std::vector<std::shared_ptr<Job>> Scheduler::next_batch() {
  std::vector<std::shared_ptr<Job>> batch;
  const auto now = Clock::now();
  // Jobs whose client left or whose time ran out while waiting end here.
  std::erase_if(queue_, [&](const std::shared_ptr<Job>& j) {
    if (j->cancelled()) {
      j->complete();
      return true;
    }
    if (now > j->deadline) {
      j->fail(timed_out(limits_.max_seconds));
      return true;
    }
    return false;
  });
  if (queue_.empty()) return batch;
  batch.push_back(queue_.front());
  queue_.pop_front();
  const std::string key = batch_key(batch.front()->request);
  int rows = batch.front()->request.n;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (rows + (*it)->request.n <= limits_.max_batch_rows && batch_key((*it)->request) == key) {
      rows += (*it)->request.n;
      batch.push_back(*it);
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  return batch;
}

void Scheduler::worker_loop() {
  for (;;) {
    std::vector<std::shared_ptr<Job>> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_ && queue_.empty()) return;
      batch = next_batch();
      running_ = int(batch.size());
      publish_depth();
    }
    if (!batch.empty()) run_batch(batch);
    release_batch();
  }
}

void Scheduler::run_batch(const std::vector<std::shared_ptr<Job>>& jobs) {
  const CompletionRequest& first = jobs.front()->request;
  GenerationParams params = first.params;
  params.row_seeds.clear();
  std::vector<TextRequest> texts;
  std::vector<Row> rows;
  std::vector<ChoiceTracker> trackers;
  for (const auto& job : jobs) {
    for (int i = 0; i < job->request.n; ++i) {
      texts.push_back(job->request.text);
      params.row_seeds.push_back({job->request.params.seed, uint64_t(i)});
      rows.push_back({job.get(), i});
      trackers.emplace_back(generator_, job->request.text.chat, job->request.stop);
      if (job->request.stream && job->request.endpoint == Endpoint::ChatCompletions)
        job->push_event(chunk_body(job->header, i, "", true, std::nullopt));
    }
  }
  metrics_.observe_batch(int(rows.size()));
  std::vector<uint8_t> timed(jobs.size(), 0);
  auto job_index = [&](const Job* j) {
    return size_t(std::find_if(jobs.begin(), jobs.end(), [&](const auto& p) { return p.get() == j; }) -
                  jobs.begin());
  };
  const int32_t mask = generator_.special().mask;
  auto last = Clock::now();

  auto on_step = [&](const StepEvent& ev) {
    const auto now = Clock::now();
    metrics_.observe_step(std::chrono::duration<double>(now - last).count());
    last = now;
    const int64_t L = ev.length - ev.prompt_length;
    auto slots_of = [&](size_t r) {
      return ev.canvas.subspan(size_t(r * ev.length + ev.prompt_length), size_t(L));
    };
    // Streams: each choice's new committed text.
    for (size_t r = 0; r < rows.size(); ++r) {
      Job& job = *rows[r].job;
      if (trackers[r].finished()) continue;
      std::string delta = trackers[r].update(slots_of(r), false);
      if (job.request.stream && !job.cancelled() && (!delta.empty() || trackers[r].finished())) {
        std::optional<std::string> reason;
        if (trackers[r].finished()) reason = trackers[r].finish_reason();
        job.push_event(chunk_body(job.header, rows[r].choice, delta, false, reason));
      }
    }
    // Canvases, one event per job that asked, with its choices.
    for (size_t j = 0; j < jobs.size(); ++j) {
      Job& job = *jobs[j];
      if (!job.request.stream_canvas || job.cancelled()) continue;
      std::vector<std::vector<std::optional<std::string>>> slots;
      std::vector<std::vector<int32_t>> fresh;
      for (size_t r = 0; r < rows.size(); ++r) {
        if (rows[r].job != &job) continue;
        slots.push_back(slot_texts(generator_.tokenizer(), slots_of(r), mask));
        std::vector<int32_t> f;
        for (const CommitRef& c : ev.committed)
          if (size_t(c.row) == r && c.position >= ev.prompt_length)
            f.push_back(int32_t(c.position - ev.prompt_length));
        fresh.push_back(std::move(f));
      }
      job.push_event(canvas_body(job.header, ev.step + 1, ev.steps, slots, fresh));
    }
    for (size_t j = 0; j < jobs.size(); ++j)
      if (now > jobs[j]->deadline) timed[j] = 1;
    bool needed = false;
    for (size_t r = 0; r < rows.size(); ++r) {
      const Job* job = rows[r].job;
      needed = needed || (!trackers[r].finished() && !job->cancelled() && !timed[job_index(job)]);
    }
    if (!needed || abort_) ev.request_stop();
  };

  std::vector<TextResult> results;
  try {
    results = generator_.generate(texts, params, int(texts.size()), on_step);
  } catch (const Error& e) {
    release_batch();
    const ApiError err(400, "invalid_request_error", "", "invalid_request", e.what());
    for (const auto& job : jobs) job->fail(err);
    return;
  } catch (const std::exception& e) {
    release_batch();
    const ApiError err(500, "server_error", "", "internal_error", e.what());
    for (const auto& job : jobs) job->fail(err);
    return;
  }
  release_batch();

  for (size_t j = 0; j < jobs.size(); ++j) {
    Job& job = *jobs[j];
    if (job.cancelled()) {
      job.complete();
      continue;
    }
    if (abort_) {
      job.fail(kShuttingDown);
      continue;
    }
    if (timed[j]) {
      job.fail(timed_out(limits_.max_seconds));
      continue;
    }
    std::vector<ChoiceOutput> outputs;
    Usage usage;
    for (size_t r = 0; r < rows.size(); ++r) {
      if (rows[r].job != &job) continue;
      ChoiceTracker& t = trackers[r];
      const bool was_finished = t.finished();
      std::string delta = t.update(results[r].tokens, true);
      if (job.request.stream && !was_finished)
        job.push_event(chunk_body(job.header, rows[r].choice, delta, false, t.finish_reason()));
      outputs.push_back({t.text(), t.finish_reason()});
      usage.prompt_tokens = int64_t(results[r].prompt_tokens.size());
      usage.completion_tokens += t.completion_tokens();
    }
    metrics_.add_tokens(usage.prompt_tokens, usage.completion_tokens);
    if (job.request.stream) {
      job.push_event(usage_chunk_body(job.header, usage));
      job.complete();
    } else {
      job.complete(completion_body(job.header, outputs, usage));
    }
  }
}

}  // namespace dc::server
