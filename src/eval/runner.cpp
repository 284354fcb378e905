#include "eval/runner.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace dc::eval {

void run_streaming(size_t count, int workers, const MakeRequest& make, const OnResult& on_done) {
  if (count == 0) return;
  if (workers <= 0) workers = sandbox::max_concurrent_sandboxes();
  workers = int(std::min<size_t>(size_t(std::max(workers, 1)), count));
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::exception_ptr error;
  auto work = [&] {
    while (!stop.load()) {
      size_t i = next.fetch_add(1);
      if (i >= count) return;
      try {
        sandbox::TestRunRequest req;
        {
          // make() may share state with on_done(): both run under the lock; the sandbox run does not.
          std::lock_guard<std::mutex> lock(mu);
          req = make(i);
        }
        sandbox::TestRunResult res = sandbox::run_tests(req);
        std::lock_guard<std::mutex> lock(mu);
        on_done(i, std::move(res));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        stop = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace dc::eval
