// Internal: dynamic work sharing over dc::global_pool() for kernels whose outputs do not depend on which
// thread computes them (every output element is produced by exactly one call, in a fixed order). Results are
// then bit-identical for any thread count and any schedule, and a thread slowed by other work on the machine
// does not hold the others up, as it would with a static split.
#pragma once

#include <cstdint>
#include <functional>

namespace dc::kernels::cpu {

// Calls fn(begin, end) on consecutive chunks of `chunk` units covering [0, n), handed out to the pool's
// threads first come, first served. Runs inline when one chunk covers everything or the pool has one thread.
void parallel_chunks(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn);

// A chunk size giving each of the pool's threads about `per_thread` chunks of n units (at least 1).
int64_t chunk_for(int64_t n, int64_t per_thread);

}  // namespace dc::kernels::cpu

namespace dc::kernels::cpu {

// The GEMM split: body(panel_begin, panel_end, tile_begin, tile_end) over chunks of column panels when there
// are enough of them (each chunk covers every row tile), otherwise over chunks of row tiles (each covering
// every panel).
void parallel_panels_or_tiles(int64_t panels, int64_t tiles,
                              const std::function<void(int64_t, int64_t, int64_t, int64_t)>& body);

}  // namespace dc::kernels::cpu
