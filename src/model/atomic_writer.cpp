#include "model/atomic_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "core/error.h"

namespace dc {

AtomicWriter::AtomicWriter(const std::string& path)
    : path_(path), tmp_(path + ".tmp." + std::to_string(::getpid())) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_error("{}: cannot create: {}", path_, std::strerror(errno));
}

AtomicWriter::~AtomicWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicWriter::write(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  written_ += n;
  while (n > 0) {
    ssize_t w = ::write(fd_, p, std::min<size_t>(n, size_t(1) << 30));
    if (w < 0) {
      if (errno == EINTR) continue;
      throw_error("{}: write failed: {}", path_, std::strerror(errno));
    }
    p += w;
    n -= size_t(w);
  }
}

void AtomicWriter::zeros(size_t n) {
  static const uint8_t kZeros[256] = {};
  while (n > 0) {
    const size_t k = std::min(n, sizeof kZeros);
    write(kZeros, k);
    n -= k;
  }
}

void AtomicWriter::commit() {
  int fd = fd_;
  fd_ = -1;
  const bool synced = ::fsync(fd) == 0;
  const bool closed = ::close(fd) == 0;  // always close, even when fsync failed
  if (!synced || !closed) throw_error("{}: cannot flush to disk", path_);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    throw_error("{}: cannot rename into place: {}", path_, std::strerror(errno));
  committed_ = true;
}

}  // namespace dc
