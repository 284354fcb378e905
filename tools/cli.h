// The `diffucoder` command line: one binary, one subcommand per file in tools/. Each file registers its
// subcommand with a static DC_SUBCOMMAND(...) object; main.cpp builds the CLI11 app from the registry and
// reports any dc::Error as one line on stderr (exit code 1). Tools hold no logic a test cannot reach: they
// parse flags and call the libraries.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace dc::cli {

struct Subcommand {
  std::string name;
  // Adds the subcommand (app.add_subcommand(...)) with its options and callback.
  std::function<void(CLI::App& app)> setup;
};

std::vector<Subcommand>& registry();

struct Register {
  Register(std::string name, std::function<void(CLI::App&)> setup) {
    registry().push_back({std::move(name), std::move(setup)});
  }
};

}  // namespace dc::cli

#define DC_CLI_CONCAT2(a, b) a##b
#define DC_CLI_CONCAT(a, b) DC_CLI_CONCAT2(a, b)
// DC_SUBCOMMAND("tokenize", [](CLI::App& app) { auto* sub = app.add_subcommand("tokenize", "..."); ... });
#define DC_SUBCOMMAND(name, fn) static ::dc::cli::Register DC_CLI_CONCAT(dc_subcommand_, __LINE__)(name, fn)
