// The template table behind train/synthetic.h: each template knows its parameter ranges, writes the
// Python signature, docstring and body for one parameter tuple, and computes test outputs in C++ with
// Python's semantics (floor division and modulo, str.split()).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/rng.h"

namespace dc::train::synth {

struct Instance {
  std::string entry;                                             // function name
  std::string signature;                                         // "def f(x: int) -> int:"
  std::string summary;                                           // the docstring's first sentence(s)
  std::string body;                                              // indented lines, each ending "\n"
  std::vector<std::pair<nlohmann::json, nlohmann::json>> tests;  // (argument list, expected output)
};

struct Template {
  std::string family, name;
  std::vector<std::pair<int, int>> ranges;             // inclusive range of each parameter
  std::function<bool(const std::vector<int>&)> valid;  // null: every tuple in the ranges is valid
  std::function<Instance(const std::vector<int>&, Rng&, int n_tests)> make;
};

const std::vector<Template>& templates();

// Python's repr of a JSON value (ints, strings, bools, lists of them): docstring examples.
std::string py_repr(const nlohmann::json& v);

}  // namespace dc::train::synth
