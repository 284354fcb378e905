#include "eval/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace dc::eval {

namespace {

std::string clock_text(double seconds) {
  long s = long(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

Progress::Progress(std::string label, size_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && total > 0), tty_(isatty(2)) {
  start_ = last_draw_ = std::chrono::steady_clock::now();
  if (enabled_) draw(true);
}

void Progress::advance(size_t n) {
  done_ += n;
  if (enabled_) draw(done_ >= total_);
}

void Progress::draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - start_).count();
  if (!tty_) {
    int decile = total_ ? int(10 * done_ / total_) : 10;
    if (decile == last_decile_) return;
    last_decile_ = decile;
    std::fprintf(stderr, "%s: %zu/%zu (%s)\n", label_.c_str(), done_, total_, clock_text(elapsed).c_str());
    return;
  }
  if (!force && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  int filled = total_ ? int(kWidth * done_ / total_) : kWidth;
  double rate = elapsed > 0 ? double(done_) / elapsed : 0;
  std::string eta = done_ > 0 && rate > 0 ? clock_text(double(total_ - done_) / rate) : "?";
  std::fprintf(stderr, "\r%s [%s%s] %zu/%zu  %.1f/s  ETA %s  ", label_.c_str(),
               std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(), done_, total_,
               rate, eta.c_str());
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (tty_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s: %zu/%zu done in %s\n", label_.c_str(), done_, total_,
               clock_text(elapsed).c_str());
}

}  // namespace dc::eval
