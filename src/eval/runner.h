// Runs many sandboxed test requests on worker threads and hands each result back as soon as it is ready,
// so the evaluator can record it (and survive an interruption) without waiting for the rest. Requests are
// built on demand: with many samples, holding every request's inputs at once would cost gigabytes.
#pragma once

#include <cstddef>
#include <functional>

#include "sandbox/sandbox.h"

namespace dc::eval {

using MakeRequest = std::function<sandbox::TestRunRequest(size_t index)>;
using OnResult = std::function<void(size_t index, sandbox::TestRunResult&& result)>;

// Calls make(i) and then on_done(i, result) for every i in [0, count). on_done calls are serialised.
// workers <= 0: the sandbox's concurrency cap (one per core). An exception from make or on_done stops the
// remaining work and is rethrown here.
void run_streaming(size_t count, int workers, const MakeRequest& make, const OnResult& on_done);

}  // namespace dc::eval
