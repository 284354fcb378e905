// Pool: many run_tests requests on a few threads. The threads only wait on their sandboxes; the number
// of sandboxes running at once is bounded again, process-wide, by the slots (sandbox.cpp).
#include <atomic>
#include <mutex>
#include <thread>

#include "sandbox/sandbox.h"

namespace dc::sandbox {

Pool::Pool(int workers)
    : workers_(workers > 0 ? workers : std::max(1, int(std::thread::hardware_concurrency()))) {}

std::vector<TestRunResult> Pool::run_all(const std::vector<TestRunRequest>& requests, ProgressFn progress) {
  std::vector<TestRunResult> results(requests.size());
  std::atomic<size_t> next{0};
  std::mutex progress_mu;
  size_t done = 0;
  std::exception_ptr error;
  auto work = [&] {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= requests.size()) return;
      try {
        results[i] = run_tests(requests[i]);
      } catch (...) {
        // A malformed request (dc::Error): stop handing out work and rethrow on the caller's thread.
        std::lock_guard<std::mutex> lock(progress_mu);
        if (!error) error = std::current_exception();
        next = requests.size();
        return;
      }
      std::lock_guard<std::mutex> lock(progress_mu);
      ++done;
      if (progress) progress(done, requests.size());
    }
  };
  const size_t threads = std::min(size_t(workers_), requests.size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  if (threads > 0) work();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return results;
}

}  // namespace dc::sandbox
