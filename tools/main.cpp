// Entry point of the `diffucoder` CLI. Subcommands live in tools/cmd_*.cpp and register themselves.
#include <algorithm>
#include <cstdio>
#include <exception>

#include "cli.h"
#include "core/error.h"

namespace dc::cli {
std::vector<Subcommand>& registry() {
  static std::vector<Subcommand> r;
  return r;
}
}  // namespace dc::cli

int main(int argc, char** argv) {
  CLI::App app{"diffucoder: masked diffusion language models of code (DiffuCoder, Dream) on the CPU"};
  app.require_subcommand(1);
  auto& reg = dc::cli::registry();
  std::sort(reg.begin(), reg.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& s : reg) s.setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    // Usage errors are one line like every other error (CLI11's own adds a second "Run with --help").
    std::fprintf(stderr, "diffucoder: error: %s (see --help)\n", e.what());
    return e.get_exit_code();
  } catch (const dc::Error& e) {
    std::fprintf(stderr, "diffucoder: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "diffucoder: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "diffucoder: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
