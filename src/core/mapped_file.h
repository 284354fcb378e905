// Read-only memory mapping of a whole file (RAII). Used for zero-copy checkpoint loading.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dc {

class MappedFile {
 public:
  MappedFile() = default;
  // Throws dc::Error("PATH: cannot open: reason") on failure. An empty file maps to size 0.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Drops this process's resident pages of [p, p + bytes) (whole pages inside the range) when the range lies
  // in the mapping; false otherwise. The bytes stay readable: touched again, they are read from the file.
  // For data that has been copied (repacked weights), so that the copy and the mapping are not both
  // resident.
  bool drop_pages(const void* p, size_t bytes) const;

 private:
  void release();
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Reads a whole (small) file into a string; throws dc::Error naming the path on failure.
std::string read_file(const std::string& path);

// Writes data to path atomically: a temporary file in the same directory, fsync, then rename.
void write_file_atomic(const std::string& path, const std::string& data);

}  // namespace dc
