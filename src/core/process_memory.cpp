// Reads VmRSS / VmHWM from /proc/self/status; see process_memory.h.
#include "core/process_memory.h"

#include <fstream>
#include <string>

namespace dc {

namespace {

long status_field_kib(const char* key) {
  std::ifstream f("/proc/self/status");
  const std::string prefix = std::string(key) + ":";
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(prefix, 0) == 0) return std::stol(line.substr(prefix.size()));
  return -1;
}

}  // namespace

long resident_kib() {
  return status_field_kib("VmRSS");
}

long peak_resident_kib() {
  return status_field_kib("VmHWM");
}

}  // namespace dc
