// Entry point of the `diffucoder` CLI. Subcommands live in tools/cmd_*.cpp and register themselves.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include "cli.h"
#include "core/error.h"
#include "error_line.h"
#include "exit_status.h"
#include "usage_message.h"

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
  // Every error, usage errors included, is one line on stderr and exit code 1 (CLI11's own codes, 100 and
  // up, would tell a script nothing more than "usage error" and clash with a program's exit codes).
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "diffucoder: error: %s\n", dc::cli::one_line(msg).c_str());
    return 1;
  };
  // CLI11 reports an unknown command as "A subcommand is required"; name it and the known ones instead.
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(reg.begin(), reg.end(), [&](const auto& s) { return s.name == argv[1]; })) {
    std::string known;
    for (const auto& s : reg) known += (known.empty() ? "" : ", ") + s.name;
    return fail(std::string("unknown command '") + argv[1] + "' (commands: " + known + ")");
  }
  try {
    app.parse(argc, argv);
  } catch (const dc::cli::ExitStatus& s) {
    return s.code;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    // CLI11's own text adds a second line ("Run with --help"); this names the remedy on the same line.
    return fail(dc::cli::usage_message(e.what()) + " (see --help)");
  } catch (const dc::Error& e) {
    return fail(e.what());
  } catch (const std::bad_alloc&) {
    return fail("out of memory");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return 0;
}
