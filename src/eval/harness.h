// The trusted Python harness handed to the sandbox with every program (harness_py.cpp holds its source).
// It defines run_test(ns, input_text) -> str (sandbox.h): the entry point's return value in the typed
// encoding (typed_value.h), or for a reference run {"seconds": s, "aux": encoded, "out": encoded}.
#pragma once

#include <cstddef>
#include <string>

#include "eval/dataset.h"

namespace dc::eval {

// Version of the typed encoding and the harness; part of the expected-output cache key.
constexpr int kHarnessVersion = 1;

struct HarnessParams {
  TestKind kind = TestKind::Io;
  std::string entry_point;
  InputRule rule = InputRule::None;
  Oracle oracle = Oracle::None;
  double atol = 0;
  // Reference run: also report the call's duration and the special oracle's values.
  bool reference = false;
  // Literal run: each input is an expected output given as JSON; returns it in the typed encoding.
  bool literal = false;
  // Encodings longer than this are replaced by their digest when only exact equality can apply.
  size_t digest_above = 64 << 10;
};

std::string harness_source(const HarnessParams& p);

// The harness parameters for a task's candidate run (reference = false) or its reference run.
HarnessParams harness_params(const Task& task, bool reference);

}  // namespace dc::eval
