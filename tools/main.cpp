// Entry point of the `diffucoder` CLI. Subcommands live in tools/cmd_*.cpp and register themselves.
#include <algorithm>
#include <cstdio>
#include <exception>

#include "core/error.h"
#include "cli.h"

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
    return app.exit(e);
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
