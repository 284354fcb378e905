// Internal pieces shared by run_process and run_tests: the concurrency slot, preparing a spawn (scratch
// directory, environment), and classifying how a process ended.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sandbox/sandbox.h"
#include "sandbox/spawn.h"

namespace dc::sandbox::detail {

// Holds one of the max_concurrent_sandboxes() slots for its lifetime (blocks until one is free).
class SlotGuard {
 public:
  SlotGuard();
  ~SlotGuard();
  int index() const { return index_; }  // 0..255, unique among the sandboxes running now
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  int index_ = 0;
};

// A SpawnSpec and the host scratch directory it uses (removed by the destructor).
struct Prepared {
  SpawnSpec spec;
  std::string host_scratch;
  Prepared() = default;
  ~Prepared();
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;
};

// Validates argv/files (dc::Error on bad input), picks the layers and fills `p`.
void prepare(Prepared& p, int slot, const std::vector<std::string>& argv,
             const std::vector<std::pair<std::string, std::string>>& files, const Limits& limits,
             double cpu_seconds, bool use_namespaces, bool restrict_reads, bool channel);

// The cleared environment of every sandboxed program.
std::vector<std::string> sandbox_env(const std::string& workdir);

// Status of a process that ended on its own (not by our deadline or output cap).
Status classify_exit(int wait_status, double cpu_used, double cpu_limit, const std::string& err);

}  // namespace dc::sandbox::detail
