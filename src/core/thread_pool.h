// A fixed pool of worker threads for data-parallel loops. The calling thread takes part as worker 0.
// Work is split statically (deterministic: the same n and thread count always give the same partition),
// so results that depend on summation order are reproducible run to run.
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
  // threads <= 0 means "all hardware threads".
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(workers_.size()) + 1; }

  // Calls fn(begin, end, thread_index) on contiguous chunks covering [0, n), one chunk per thread (chunks
  // are multiples of `grain` except the last). Blocks until all chunks are done. Not re-entrant.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn, int64_t grain = 1);

  // Calls fn(thread_index) once on every thread of the pool.
  void run_on_all(const std::function<void(int)>& fn);

 private:
  void worker_loop(int index);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int)>* job_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

// The process-wide pool used by kernels. set_num_threads() recreates it (call before heavy work).
ThreadPool& global_pool();
void set_num_threads(int threads);

}  // namespace dc
