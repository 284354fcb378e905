// `diffucoder sandbox`: run a Python file in the code sandbox (SPEC §9), or show which layers work here.
//   diffucoder sandbox --layers                          the layers the start-up probe found, one line
//   diffucoder sandbox FILE.py [--timeout S] [--memory-mb M] [--processes N] [--no-namespaces]
//                              [--require-isolation] [< stdin]
// FILE.py runs as `python3 -I -B program.py` in a fresh scratch directory. Its stdout and stderr are
// passed through (capped); then one line on stderr: "sandbox: STATUS, exit CODE, SECONDS s [LAYERS]".
// Exit code: the program's own when it exited, 124 on a timeout, 1 otherwise.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "cli.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "exit_status.h"
#include "flag_checks.h"
#include "sandbox/sandbox.h"

namespace {

struct SandboxOptions {
  std::string file;
  bool layers = false;
  double timeout = 10;
  double memory_mb = 4096;
  int processes = 0;
  bool no_namespaces = false;
  bool require_isolation = false;
};

int run_sandbox(const SandboxOptions& o) {
  namespace sb = dc::sandbox;
  if (o.layers) {
    std::printf("%s\n", sb::probe_layers().describe().c_str());
    return 0;
  }
  if (o.file.empty()) throw dc::Error("sandbox: give a Python file to run, or --layers");
  if (o.require_isolation) {
    if (o.no_namespaces) throw dc::Error("sandbox: --require-isolation and --no-namespaces contradict");
    sb::require_all_layers();
  }
  sb::Job job;
  job.argv = {"/usr/bin/python3", "-I", "-B", "program.py"};
  job.files = {{"program.py", dc::read_file(o.file)}};
  job.stdin_data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  job.limits.wall_seconds = o.timeout;
  job.limits.memory_bytes = uint64_t(o.memory_mb * (1 << 20));
  job.limits.max_processes = o.processes;
  job.use_namespaces = !o.no_namespaces;
  const sb::ProcessResult r = sb::run_process(job);
  std::fwrite(r.out.data(), 1, r.out.size(), stdout);
  std::fflush(stdout);
  std::fwrite(r.err.data(), 1, r.err.size(), stderr);
  std::fprintf(stderr, "sandbox: %s, exit %d, %.2f s [%s]\n", sb::status_name(r.status), r.exit_code,
               r.seconds, r.layers.describe().c_str());
  if (r.exit_code >= 0) return r.exit_code;
  return r.status == sb::Status::Timeout ? 124 : 1;
}

}  // namespace

DC_SUBCOMMAND("sandbox", [](CLI::App& app) {
  auto* sub = app.add_subcommand("sandbox", "run a Python file in the code sandbox, or show its layers");
  auto opts = std::make_shared<SandboxOptions>();
  sub->add_option("file", opts->file, "Python file to run (its stdin is this command's stdin)");
  sub->add_flag("--layers", opts->layers, "print the sandbox layers that work on this machine and exit");
  // Ranges: up to a day of wall clock and 1 TiB of address space; beyond that the values are typos, and
  // far beyond it their conversions to clock ticks and rlimits would overflow.
  sub->add_option("--timeout", opts->timeout, "wall-clock limit in seconds (default 10)")
      ->check(dc::cli::finite_range(0, 86400, true));
  sub->add_option("--memory-mb", opts->memory_mb, "address-space limit in MiB (default 4096)")
      ->check(dc::cli::finite_range(0, 1 << 20, true));
  sub->add_option("--processes", opts->processes, "processes the program may start (default 0: none)")
      ->check(dc::cli::int_range(0, 4096));
  sub->add_flag("--no-namespaces", opts->no_namespaces, "do not use the user/net/pid/mount namespaces");
  sub->add_flag("--require-isolation", opts->require_isolation,
                "refuse to run unless every layer works on this machine (see --layers)");
  sub->callback([opts] {
    // The program's own exit code is passed through as this command's, without an error line of ours.
    const int code = run_sandbox(*opts);
    if (code != 0) throw dc::cli::ExitStatus{code};
  });
});
