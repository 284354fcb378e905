// A file written through a temporary name in the same folder and renamed into place on commit(): readers
// never see a half-written file, and an interrupted write leaves the old file (if any) untouched. Streams,
// so a multi-GB checkpoint is never assembled in memory. The temporary file is removed if never committed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dc {

class AtomicWriter {
 public:
  // Creates PATH.tmp.PID; throws dc::Error "PATH: cannot create: reason".
  explicit AtomicWriter(const std::string& path);
  ~AtomicWriter();
  AtomicWriter(const AtomicWriter&) = delete;
  AtomicWriter& operator=(const AtomicWriter&) = delete;

  void write(const void* data, size_t n);  // throws dc::Error "PATH: write failed: reason"
  void zeros(size_t n);                    // n zero bytes (alignment padding)
  uint64_t written() const { return written_; }
  // fsync, close, rename over `path`. Throws dc::Error naming the path.
  void commit();

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  uint64_t written_ = 0;
  bool committed_ = false;
};

}  // namespace dc
