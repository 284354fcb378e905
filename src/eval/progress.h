// A one-line progress bar with rate and ETA on stderr ("label [#####.....] 120/378  3.1/s  ETA 0:41").
// Redraws at most ten times a second; when stderr is not a terminal it prints a line per 10% instead.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace dc::eval {

class Progress {
 public:
  Progress(std::string label, size_t total, bool enabled);
  void advance(size_t n = 1);
  void finish();  // final line with the elapsed time

 private:
  void draw(bool force);
  std::string label_;
  size_t total_, done_ = 0;
  bool enabled_, tty_, finished_ = false;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace dc::eval
