// A fixed pool of worker threads for data-parallel loops. The calling thread takes part as worker 0.
// Work is split statically (deterministic: the same n and thread count always give the same partition),
// so results that depend on summation order are reproducible run to run.
//
// Shareable: any number of threads may call parallel_for / run_on_all at once (a server thread per
// request, RL rollouts overlapping scoring). Top-level jobs are serialised: a job from a second thread
// waits until the one in progress has finished, so each job has every thread of the pool and its result
// is the same as alone. A job may not start another one that needs the workers from inside (from any of
// its threads): that is a bug (it would wait for itself) and throws dc::Error at once. (Work that runs on
// the calling thread alone, a one-thread pool or a loop too small to split, is allowed anywhere.)
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dc {

class ThreadPool {
 public:
  // threads <= 0 means default_threads() (all hardware threads unless set otherwise). At most max_threads();
  // throws dc::Error above it, or when the system refuses a thread (the threads already started are stopped
  // first).
  explicit ThreadPool(int threads = 0);
  static int max_threads();  // 4 x the hardware threads
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(workers_.size()) + 1; }

  // Calls fn(begin, end, thread_index) on contiguous chunks covering [0, n), one chunk per thread (chunks
  // are multiples of `grain` except the last). Blocks until all chunks are done.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn, int64_t grain = 1);

  // Calls fn(thread_index) once on every thread of the pool.
  void run_on_all(const std::function<void(int)>& fn);

 private:
  void worker_loop(int index);

  void stop_workers();

  std::vector<std::thread> workers_;
  std::mutex job_mu_;  // held by the caller for the whole of one top-level job
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int)>* job_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

// The process-wide pool used by kernels. set_num_threads() recreates it: call it at start-up, before any
// other thread uses the pool.
ThreadPool& global_pool();
void set_num_threads(int threads);

// The thread count that "threads <= 0" stands for: all hardware threads, unless set_default_threads()
// gave a share of them (the ranks of a distributed job on one machine split its cores). Call it before
// the pool is first used.
int default_threads();
void set_default_threads(int threads);  // <= 0: back to all hardware threads

}  // namespace dc
