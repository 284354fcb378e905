// Supervising one spawned sandbox (see supervisor.h).
#include "sandbox/supervisor.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "sandbox/scratch.h"

namespace dc::sandbox::detail {
namespace {

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

int ms_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return int(std::clamp<int64_t>(left + 1, 0, 1000));
}

}  // namespace

Supervisor::Supervisor(const Spawned& child, std::string stdin_data, uint64_t output_cap)
    : child_(child), stdin_(std::move(stdin_data)), cap_(output_cap) {
  if (stdin_.empty()) close_fd(child_.stdin_w);
}

Supervisor::~Supervisor() {
  kill_and_reap();
  close_fd(child_.pidfd);
}

double Supervisor::cpu_seconds() const {
  auto s = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
  return s(usage_.ru_utime) + s(usage_.ru_stime);
}

// Reads what is available. Returns false once the fd reached EOF (it is then closed).
bool Supervisor::read_into(int& fd, std::string& buf, bool capped) {
  char tmp[65536];
  for (;;) {
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n > 0) {
      size_t keep = size_t(n);
      if (capped && buf.size() + keep > cap_) {
        keep = cap_ > buf.size() ? size_t(cap_ - buf.size()) : 0;
        overflow_ = true;
      }
      buf.append(tmp, keep);
      if (overflow_ && capped) return true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    close_fd(fd);
    return false;
  }
}

// Writes stdin as the pipe accepts it. SIGPIPE (the program closed stdin) is blocked in this thread
// around the write and consumed afterwards, so the supervisor is never killed by it.
void Supervisor::write_stdin() {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  bool done = false;
  while (stdin_pos_ < stdin_.size()) {
    ssize_t n = write(child_.stdin_w, stdin_.data() + stdin_pos_, stdin_.size() - stdin_pos_);
    if (n > 0) {
      stdin_pos_ += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    done = true;  // EPIPE or another error: the program does not want the rest
    break;
  }
  if (done || stdin_pos_ == stdin_.size()) close_fd(child_.stdin_w);
  timespec zero{0, 0};
  while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void Supervisor::pump(int timeout_ms) {
  pollfd fds[5];
  int n = 0;
  auto add = [&](int fd, short ev) {
    if (fd >= 0) fds[n++] = pollfd{fd, ev, 0};
  };
  add(child_.stdout_r, POLLIN);
  add(child_.stderr_r, POLLIN);
  add(child_.channel_r, POLLIN);
  add(child_.stdin_w, POLLOUT);
  if (!exited_) add(child_.pidfd, POLLIN);
  int rc = poll(fds, nfds_t(n), timeout_ms);
  if (rc <= 0) return;
  for (int i = 0; i < n; ++i) {
    if (!fds[i].revents) continue;
    int fd = fds[i].fd;
    if (fd == child_.stdout_r) {
      read_into(child_.stdout_r, out_, true);
    } else if (fd == child_.stderr_r) {
      read_into(child_.stderr_r, err_, true);
    } else if (fd == child_.channel_r) {
      size_t before = channel_.size();
      read_into(child_.channel_r, channel_, false);
      if (channel_.size() != before) new_channel_ = true;
    } else if (fd == child_.stdin_w) {
      write_stdin();
    } else if (fd == child_.pidfd) {
      exited_ = true;
    }
  }
}

void Supervisor::watch_scratch(std::string dir, uint64_t max_bytes, uint64_t max_entries) {
  scratch_dir_ = std::move(dir);
  scratch_bytes_ = max_bytes;
  scratch_entries_ = max_entries;
}

Supervisor::Event Supervisor::wait(Clock::time_point deadline) {
  constexpr auto kScratchPeriod = std::chrono::milliseconds(50);
  for (;;) {
    if (!scratch_dir_.empty() && !exited_ && Clock::now() >= next_scratch_check_) {
      if (!scratch_within(scratch_dir_, scratch_bytes_, scratch_entries_)) scratch_full_ = overflow_ = true;
      next_scratch_check_ = Clock::now() + kScratchPeriod;
    }
    if (overflow_) return Event::Overflow;
    if (new_channel_) {
      new_channel_ = false;
      return Event::Channel;
    }
    if (exited_) {
      reap();
      if (new_channel_) {
        new_channel_ = false;
        return Event::Channel;
      }
      return overflow_ ? Event::Overflow : Event::Exited;
    }
    if (Clock::now() >= deadline) return Event::Deadline;
    pump(scratch_dir_.empty() ? ms_until(deadline) : std::min(ms_until(deadline), 50));
  }
}

void Supervisor::drain() {
  // Everything that could hold the write ends is dead (same group / namespace), so EOF comes at once;
  // the bound only protects against a bug.
  const Clock::time_point limit = Clock::now() + std::chrono::seconds(2);
  close_fd(child_.stdin_w);
  while ((child_.stdout_r >= 0 || child_.stderr_r >= 0 || child_.channel_r >= 0) && Clock::now() < limit) {
    bool was_overflow = overflow_;
    pump(50);
    if (overflow_ && !was_overflow) {
      // Over the cap while draining: nothing more is needed from these pipes.
      close_fd(child_.stdout_r);
      close_fd(child_.stderr_r);
    }
  }
  close_fd(child_.stdout_r);
  close_fd(child_.stderr_r);
  close_fd(child_.channel_r);
}

void Supervisor::reap() {
  if (reaped_ || child_.pid < 0) return;
  // The first process is gone (or is being killed); anything it left in its group goes too. This must
  // happen before the reap: the unreaped leader keeps its pid, and so the group id, from being reused.
  kill(-child_.pid, SIGKILL);
  drain();
  for (;;) {
    pid_t r = wait4(child_.pid, &status_, 0, &usage_);
    if (r == child_.pid || (r < 0 && errno != EINTR)) break;
  }
  reaped_ = true;
  exited_ = true;
}

void Supervisor::kill_and_reap() {
  if (reaped_ || child_.pid < 0) return;
  kill(child_.pid, SIGKILL);
  kill(-child_.pid, SIGKILL);
  reap();
}

}  // namespace dc::sandbox::detail
