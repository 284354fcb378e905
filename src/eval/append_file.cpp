#include "eval/append_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace dc::eval {

AppendFile::AppendFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_error("{}: cannot open for writing: {}", path, std::strerror(errno));
  off_t size = ::lseek(fd_, 0, SEEK_END);
  char last = '\n';
  if (size > 0 && ::pread(fd_, &last, 1, size - 1) != 1) last = '\n';
  if (last != '\n') write_all("\n");
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

void AppendFile::write_all(const std::string& data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_error("{}: cannot write: {}", path_, std::strerror(errno));
    }
    p += n;
    left -= size_t(n);
  }
}

void AppendFile::line(const std::string& text) {
  lines(text + "\n");
}

void AppendFile::lines(const std::string& text) {
  write_all(text);
  ::fdatasync(fd_);
}

}  // namespace dc::eval
