#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <system_error>

#include "core/error.h"

namespace dc {

namespace {
// Set while this thread runs a job's work (as a worker, or as the caller taking part as worker 0).
thread_local bool t_in_job = false;

struct InJob {
  InJob() { t_in_job = true; }
  ~InJob() { t_in_job = false; }
};

int hardware_threads() {
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

// What "all cores" (threads <= 0) means: the hardware threads, or this process's share of them.
std::atomic<int> g_default_threads{0};
}  // namespace

int default_threads() {
  const int d = g_default_threads.load();
  return d > 0 ? d : hardware_threads();
}

void set_default_threads(int threads) {
  g_default_threads.store(threads > 0 ? threads : 0);
}

int ThreadPool::max_threads() {
  return 4 * hardware_threads();
}

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = default_threads();
  if (threads > max_threads())
    throw_error("{} threads requested; at most {} (4 x the {} hardware threads)", threads, max_threads(),
                hardware_threads());
  try {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
  } catch (const std::system_error& e) {
    // The threads already started wait for a job: stop them before giving up, or they would never end.
    const size_t started = workers_.size();
    stop_workers();
    throw_error("cannot start {} threads (the system refused after {}): {}", threads, started + 1, e.what());
  }
}

ThreadPool::~ThreadPool() {
  stop_workers();
}

void ThreadPool::stop_workers() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int)>* job;
    {
      std::unique_lock<std::mutex> lk(mu_);
      start_cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    {
      InJob in_job;
      (*job)(index);
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

void ThreadPool::run_on_all(const std::function<void(int)>& fn) {
  if (workers_.empty()) {  // nothing to share: safe from anywhere, also inside a job
    fn(0);
    return;
  }
  if (t_in_job) throw_error("internal error: a thread-pool job started another job from inside");
  std::lock_guard<std::mutex> job(job_mu_);
  {
    std::lock_guard<std::mutex> lk(mu_);
    job_ = &fn;
    pending_ = int(workers_.size());
    ++generation_;
  }
  start_cv_.notify_all();
  // The workers run `fn` too: whatever the caller's share does, wait for them before leaving (and
  // before `fn` can go out of scope), then pass the caller's exception on.
  std::exception_ptr error;
  try {
    InJob in_job;
    fn(0);
  } catch (...) {
    error = std::current_exception();
  }
  {
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return pending_ == 0; });
    job_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn,
                              int64_t grain) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t units = (n + grain - 1) / grain;
  const int threads = int(std::min<int64_t>(size(), units));
  if (threads <= 1) {  // runs on the calling thread alone: safe from anywhere, also inside a job
    fn(0, n, 0);
    return;
  }
  run_on_all([&](int t) {
    if (t >= threads) return;
    const int64_t u0 = units * t / threads, u1 = units * (t + 1) / threads;
    const int64_t b = u0 * grain, e = std::min(n, u1 * grain);
    if (b < e) fn(b, e, t);
  });
}

namespace {
std::mutex& pool_mu() {
  static std::mutex mu;
  return mu;
}
std::unique_ptr<ThreadPool>& pool_slot() {
  static std::unique_ptr<ThreadPool> pool;
  return pool;
}
}  // namespace

ThreadPool& global_pool() {
  std::lock_guard<std::mutex> lk(pool_mu());
  auto& p = pool_slot();
  if (!p) p = std::make_unique<ThreadPool>(0);
  return *p;
}

void set_num_threads(int threads) {
  auto fresh = std::make_unique<ThreadPool>(threads);  // may throw: the old pool stays
  std::lock_guard<std::mutex> lk(pool_mu());
  pool_slot() = std::move(fresh);
}

}  // namespace dc
