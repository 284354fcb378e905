// Runs the built `diffucoder` binary and captures what it prints (tests of the command line as a user
// sees it: exit codes, one-line errors, output formats).
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace dc::test {

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string binary_path() {
  return std::string(DC_BINARY_DIR) + "/bin/diffucoder";
}

// Runs a shell command line (quoted by the caller) with `stdin_text` on its standard input.
inline CliRun run_command(const std::string& command, const std::string& stdin_text = "") {
  static int counter = 0;
  const std::string base = std::string(DC_BINARY_DIR) + "/cli_test_" + std::to_string(::getpid()) + "_" +
                           std::to_string(counter++);
  const std::string in = base + ".in", out = base + ".out", err = base + ".err";
  if (FILE* f = std::fopen(in.c_str(), "wb")) {
    std::fwrite(stdin_text.data(), 1, stdin_text.size(), f);
    std::fclose(f);
  }
  const std::string cmd = command + " <" + in + " >" + out + " 2>" + err;
  CliRun r;
  int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::string& p) {
    std::string s;
    if (FILE* f = std::fopen(p.c_str(), "rb")) {
      std::array<char, 4096> buf;
      size_t n;
      while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) s.append(buf.data(), n);
      std::fclose(f);
    }
    return s;
  };
  r.out = slurp(out);
  r.err = slurp(err);
  std::remove(in.c_str());
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

// `args` is appended to the binary path as-is (already quoted by the caller where needed).
inline CliRun run_cli(const std::string& args, const std::string& stdin_text = "") {
  return run_command(binary_path() + " " + args, stdin_text);
}

inline int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += (c == '\n');
  return n;
}

}  // namespace dc::test
