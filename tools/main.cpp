// Entry point of the `diffucoder` CLI. Subcommands live in tools/cmd_*.cpp and register themselves.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include <unistd.h>

#include "cli.h"
#include "core/error.h"
#include "dist/agreement.h"
#include "dist/comm.h"
#include "dist/job.h"
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
  // Under an MPI launcher every rank runs this same main(); rank 0 speaks for the job. An error that only
  // this rank met (after set-up) names the rank and ends the process at once without leaving MPI: the
  // launcher then stops the other ranks, which would otherwise wait for this one in a collective.
  const dc::dist::Comm& comm = dc::dist::world();
  auto fail = [&](const std::string& msg) {
    dc::dist::silence_termination_notice();
    const std::string rank =
        comm.distributed() && !comm.is_root() ? fmt::format("rank {}: ", comm.rank()) : "";
    std::fprintf(stderr, "diffucoder: error: %s%s\n", rank.c_str(), dc::cli::one_line(msg).c_str());
    if (comm.distributed()) {
      std::fflush(nullptr);
      ::_exit(1);
    }
    return 1;
  };
  // A failure that every rank meets alike (a usage error: the ranks' command lines are the same; a set-up
  // failure agreed on by dist::agree): rank 0 prints it, every rank leaves MPI cleanly and exits 1.
  auto fail_everywhere = [&](const std::string& msg) {
    dc::dist::silence_termination_notice();
    if (comm.is_root()) std::fprintf(stderr, "diffucoder: error: %s\n", dc::cli::one_line(msg).c_str());
    dc::dist::finalize();
    return 1;
  };
  try {
    dc::dist::init(&argc, &argv);
    dc::dist::install_termination_notice(comm);
    dc::dist::check_same_job(comm, argc, argv);
  } catch (const dc::dist::AgreedError& e) {
    return fail_everywhere(e.what());  // agreed by every rank (dist/agreement.h)
  } catch (const dc::Error& e) {
    return fail(e.what());
  }
  // CLI11 reports an unknown command as "A subcommand is required"; name it and the known ones instead.
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(reg.begin(), reg.end(), [&](const auto& s) { return s.name == argv[1]; })) {
    std::string known;
    for (const auto& s : reg) known += (known.empty() ? "" : ", ") + s.name;
    return fail_everywhere(std::string("unknown command '") + argv[1] + "' (commands: " + known + ")");
  }
  try {
    app.parse(argc, argv);
  } catch (const dc::cli::ExitStatus& s) {
    dc::dist::finalize();
    return s.code;
  } catch (const dc::dist::AgreedError& e) {
    return fail_everywhere(e.what());  // agreed by every rank (dist/agreement.h)
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, printed once
      const int code = comm.is_root() ? app.exit(e) : 0;
      dc::dist::finalize();
      return code;
    }
    // CLI11's own text adds a second line ("Run with --help"); this names the remedy on the same line.
    return fail_everywhere(dc::cli::usage_message(e.what()) + " (see --help)");
  } catch (const dc::Error& e) {
    return fail(e.what());
  } catch (const std::bad_alloc&) {
    return fail("out of memory");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  dc::dist::finalize();
  return 0;
}
