// Dynamic work sharing for the kernels (see parallel.h).
#include "kernels/cpu/parallel.h"

#include <algorithm>
#include <atomic>

#include "core/thread_pool.h"

namespace dc::kernels::cpu {

void parallel_chunks(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  chunk = std::max<int64_t>(1, chunk);
  ThreadPool& pool = global_pool();
  if (chunk >= n || pool.size() == 1) {
    fn(0, n);
    return;
  }
  std::atomic<int64_t> next{0};
  pool.run_on_all([&](int) {
    for (;;) {
      const int64_t b = next.fetch_add(chunk, std::memory_order_relaxed);
      if (b >= n) return;
      fn(b, std::min(n, b + chunk));
    }
  });
}

int64_t chunk_for(int64_t n, int64_t per_thread) {
  const int64_t parts = int64_t(global_pool().size()) * std::max<int64_t>(1, per_thread);
  return std::max<int64_t>(1, (n + parts - 1) / parts);
}

void parallel_panels_or_tiles(int64_t panels, int64_t tiles,
                              const std::function<void(int64_t, int64_t, int64_t, int64_t)>& body) {
  if (panels >= 2 * int64_t(global_pool().size()) || tiles < 2) {
    parallel_chunks(panels, chunk_for(panels, 8), [&](int64_t p0, int64_t p1) { body(p0, p1, 0, tiles); });
  } else {
    parallel_chunks(tiles, chunk_for(tiles, 4), [&](int64_t t0, int64_t t1) { body(0, panels, t0, t1); });
  }
}

}  // namespace dc::kernels::cpu
