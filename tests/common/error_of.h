// The one-line message of the dc::Error that fn throws, or "" when it throws none (test code).
#pragma once

#include <functional>
#include <string>

#include "core/error.h"

namespace dc::testing {

inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace dc::testing
