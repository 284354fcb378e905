// run_tests: the driver in the sandbox, one deadline per test enforced here, the result frames parsed
// strictly (protocol: driver_source.h).
#include <sys/wait.h>

#include <algorithm>
#include <charconv>
#include <string_view>

#include "core/error.h"
#include "sandbox/driver_source.h"
#include "sandbox/limits_check.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_internal.h"
#include "sandbox/supervisor.h"

namespace dc::sandbox {
namespace {

using detail::Clock;
using Event = detail::Supervisor::Event;

constexpr const char* kPython = "/usr/bin/python3";
constexpr size_t kMaxHeader = 64;
constexpr size_t kStderrTail = 4096;

struct Frame {
  char tag = 0;       // 'H', 'L' or 'R'
  int64_t index = 0;  // -1 for H and L
  Status status = Status::SandboxError;
  std::string payload;
};

enum class Parse { Frame, NeedMore, Bad, TooLarge };

bool parse_int(std::string_view s, int64_t& v) {
  if (s.empty() || s.size() > 19) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// Takes one frame off the front of `buf` if it is complete. Anything unexpected is Bad.
Parse next_frame(std::string& buf, uint64_t max_payload, Frame& f) {
  size_t nl = buf.find('\n');
  if (nl == std::string::npos) return buf.size() > kMaxHeader ? Parse::Bad : Parse::NeedMore;
  if (nl > kMaxHeader) return Parse::Bad;
  std::string_view h(buf.data(), nl);
  std::string_view parts[4];
  for (int i = 0; i < 4; ++i) {
    size_t sp = i < 3 ? h.find(' ') : h.size();
    if (sp == std::string_view::npos) return Parse::Bad;
    parts[i] = h.substr(0, sp);
    h.remove_prefix(i < 3 ? sp + 1 : sp);
  }
  if (parts[0].size() != 1 || std::string_view("HLR").find(parts[0][0]) == std::string_view::npos) {
    return Parse::Bad;
  }
  f.tag = parts[0][0];
  int64_t len = 0;
  if (!parse_int(parts[1], f.index) || !parse_int(parts[3], len) || len < 0) return Parse::Bad;
  if (parts[2] == "ok") {
    f.status = Status::Ok;
  } else if (parts[2] == "fail") {
    f.status = Status::Fail;
  } else if (parts[2] == "oom") {
    f.status = Status::Oom;
  } else {
    return Parse::Bad;
  }
  if (uint64_t(len) > max_payload) return Parse::TooLarge;
  if (buf.size() < nl + 1 + size_t(len)) return Parse::NeedMore;
  f.payload.assign(buf, nl + 1, size_t(len));
  buf.erase(0, nl + 1 + size_t(len));
  return Parse::Frame;
}

void append_blob(std::string& out, const std::string& blob) {
  out += std::to_string(blob.size());
  out += '\n';
  out += blob;
}

std::string request_blob(const TestRunRequest& req) {
  std::string s = "DCSB1 " + std::string(req.stop_at_first_failure ? "1" : "0") + " " +
                  std::to_string(req.inputs.size()) + "\n";
  append_blob(s, req.harness);
  append_blob(s, req.program);
  for (const std::string& in : req.inputs) append_blob(s, in);
  return s;
}

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

std::string describe_end(int ws) {
  if (WIFSIGNALED(ws)) return "killed by signal " + std::to_string(WTERMSIG(ws));
  if (WIFEXITED(ws)) return "exited with status " + std::to_string(WEXITSTATUS(ws));
  return "ended";
}

}  // namespace

TestRunResult run_tests(const TestRunRequest& req) {
  detail::check_request(req);  // before any conversion of the limits
  const size_t n = req.inputs.size();
  TestRunResult res;
  res.tests.resize(n);
  auto test_seconds = [&](size_t i) {
    return i < req.per_test_seconds.size() && req.per_test_seconds[i] > 0 ? req.per_test_seconds[i]
                                                                          : req.limits.wall_seconds;
  };
  double budget = req.limits.wall_seconds;
  for (size_t i = 0; i < n; ++i) budget += test_seconds(i);
  // Many long tests may add up beyond what a clock or rlimit holds; no run needs more than kMaxSeconds.
  budget = std::min(budget, kMaxSeconds);
  const double cpu = req.limits.cpu_seconds > 0 ? req.limits.cpu_seconds : budget + 1;
  // The time cap that test i falls under, if any.
  auto cap_of = [&](size_t i) -> const TimeCap* {
    for (const TimeCap& c : req.time_caps)
      if (i >= c.begin && i < c.end) return &c;
    return nullptr;
  };
  Clock::time_point cap_start{};
  bool cap_binds = false;  // the deadline in force is the time cap's, not the test's own limit

  detail::SlotGuard slot;
  detail::Prepared prep;
  detail::prepare(prep, slot.index(), {kPython, "-I", "-B", "-c", detail::kDriverSource}, {}, req.limits, cpu,
                  req.use_namespaces, true, true);
  const auto t0 = Clock::now();
  detail::Spawned child;
  try {
    child = detail::spawn(prep.spec);
  } catch (const Error& e) {
    res.program_status = Status::SandboxError;
    res.program_error = e.what();
    return res;
  }
  res.layers = child.layers;
  detail::Supervisor sup(child, request_blob(req), req.limits.output_bytes);
  if (!prep.host_scratch.empty())
    sup.watch_scratch(prep.host_scratch, scratch_bytes(req.limits, 0), kScratchFiles);

  // current == -1: the interpreter starts and the program loads; 0..n-1: that test runs.
  int64_t current = -1;
  bool done = false;
  Clock::time_point phase_start = t0, deadline = t0 + seconds(req.limits.wall_seconds);
  // Records how the phase in progress ended when the process, not the driver, ended it.
  auto end_phase = [&](Status s, const std::string& why) {
    if (current < 0) {
      res.program_status = s;
      res.program_error = why;
    } else if (size_t(current) < n) {
      res.tests[size_t(current)] = {s, why,
                                    std::chrono::duration<double>(Clock::now() - phase_start).count()};
    }
    done = true;
  };

  while (!done) {
    Event ev = sup.wait(deadline);
    if (ev == Event::Deadline) {
      end_phase(Status::Timeout, current < 0 ? "the program did not load in time"
                                 : cap_binds ? fmt::format("the time cap of these tests ({} s) ran out",
                                                           cap_of(size_t(current))->seconds)
                                             : std::string("time limit exceeded"));
      break;
    }
    if (ev == Event::Overflow) {
      end_phase(Status::OutputLimit, sup.scratch_full()
                                         ? "the scratch directory went over its size or file cap"
                                         : "more output than the limit");
      break;
    }
    if (ev == Event::Exited && sup.channel().empty()) {
      Status s = detail::classify_exit(sup.wait_status(), sup.cpu_seconds(), cpu, sup.err());
      // Any way of ending without reporting is a crash, unless it was memory or CPU.
      if (s != Status::Oom && s != Status::Timeout) s = Status::Crash;
      end_phase(s, "the process " + describe_end(sup.wait_status()));
      break;
    }
    // New channel bytes: take every complete frame.
    Frame f;
    for (;;) {
      Parse p = next_frame(sup.channel(), req.limits.output_bytes, f);
      if (p == Parse::NeedMore) break;
      if (p == Parse::TooLarge) {
        end_phase(Status::OutputLimit, "result larger than the output limit");
        break;
      }
      const Clock::time_point now = Clock::now();
      if (p == Parse::Bad || (f.tag == 'R') != (current >= 0) || (f.tag == 'R' && f.index != current) ||
          (f.tag != 'R' && f.index != -1)) {
        end_phase(Status::SandboxError, "malformed result frame");
        break;
      }
      if (f.tag == 'H') {
        res.program_status = Status::SandboxError;
        res.program_error = "harness: " + f.payload;
        done = true;
        break;
      }
      if (f.tag == 'L') {
        res.program_status = f.status;
        if (f.status != Status::Ok) {
          res.program_error = f.payload;
          done = true;
          break;
        }
      } else {
        res.tests[size_t(current)] = {f.status, std::move(f.payload),
                                      std::chrono::duration<double>(now - phase_start).count()};
        if (req.stop_at_first_failure && f.status != Status::Ok) {
          done = true;
          break;
        }
      }
      ++current;
      phase_start = now;
      if (size_t(current) == n) {
        done = true;
        break;
      }
      deadline = now + seconds(test_seconds(size_t(current)));
      cap_binds = false;
      if (const TimeCap* cap = cap_of(size_t(current))) {
        if (size_t(current) == cap->begin) cap_start = now;
        const Clock::time_point cap_end = cap_start + seconds(cap->seconds);
        if (cap_end < deadline) {
          deadline = cap_end;
          cap_binds = true;
        }
      }
    }
    if (ev == Event::Exited && !done) {
      // The driver's last frames were read after the exit; anything still missing was never reported.
      if (!sup.channel().empty()) {
        end_phase(Status::SandboxError, "truncated result frame");
      } else {
        end_phase(Status::Crash, "the process " + describe_end(sup.wait_status()));
      }
    }
  }
  // The driver exits by itself after its last frame; give it a moment, then make sure.
  if (!sup.exited()) {
    const Clock::time_point grace = Clock::now() + std::chrono::milliseconds(500);
    while (sup.wait(grace) == Event::Channel) sup.channel().clear();
  }
  sup.kill_and_reap();
  res.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  res.stdout_head = sup.out();
  const std::string& err = sup.err();
  res.stderr_tail = err.size() > kStderrTail ? err.substr(err.size() - kStderrTail) : err;
  return res;
}

}  // namespace dc::sandbox
