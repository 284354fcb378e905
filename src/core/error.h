// Two tiers of errors (see docs/ARCHITECTURE.md):
//  * dc::Error: something a user caused (bad path, malformed file, bad request). Thrown, caught once at the
//    tool boundary, printed as ONE line that says what is wrong and where. Never abort on user input.
//  * DC_ASSERT: a broken internal invariant. Aborts with file:line; a bug in this project.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace dc {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Throws dc::Error with a formatted one-line message: throw_error("{}: bad dtype '{}'", path, dt).
template <typename... Args>
[[noreturn]] void throw_error(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

[[noreturn]] inline void assert_fail(const char* expr, const char* file, int line, const char* msg) {
  std::fprintf(stderr, "diffucoder: internal error at %s:%d: assertion '%s' failed%s%s\n", file, line, expr,
               msg[0] ? ": " : "", msg);
  std::abort();
}

}  // namespace dc

// DC_ASSERT(cond) or DC_ASSERT(cond, "hint"): invariant checks that stay on in Release builds.
#define DC_ASSERT_1(cond) ((cond) ? (void)0 : ::dc::assert_fail(#cond, __FILE__, __LINE__, ""))
#define DC_ASSERT_2(cond, msg) ((cond) ? (void)0 : ::dc::assert_fail(#cond, __FILE__, __LINE__, (msg)))
#define DC_ASSERT_PICK(_1, _2, NAME, ...) NAME
#define DC_ASSERT(...) DC_ASSERT_PICK(__VA_ARGS__, DC_ASSERT_2, DC_ASSERT_1, unused)(__VA_ARGS__)
