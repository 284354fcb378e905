// A caller without privileges: the sandbox then runs the program under the caller's own uid (the kernel
// allows no other), so only the read allowlist keeps the caller's private files away from it. The test
// drops to `nobody` with setpriv, plants a 0600 file of that user in a 0700 directory of that user (an
// ssh key in a home, say), and runs `diffucoder sandbox` as that user, with and without namespaces.
// The oracle: the same user reads the file outside the sandbox.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;
constexpr unsigned kNobody = 65534;

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class UnprivilegedCaller : public ::testing::TestWithParam<bool> {  // param: use namespaces
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to become another user";
    if (std::system("command -v setpriv >/dev/null 2>&1") != 0) GTEST_SKIP() << "setpriv is missing";
    home_ = fs::path(DC_BINARY_DIR) / ("nobody-home-" + std::to_string(getpid()) + (GetParam() ? "-ns" : ""));
    fs::create_directories(home_);
    std::ofstream(home_ / "id_ed25519") << "PRIVATE KEY " << getpid();
    std::ofstream(home_ / "prog.py") << "try:\n    print(open('" << (home_ / "id_ed25519").string()
                                     << "').read())\nexcept OSError as e:\n    print(type(e).__name__)\n";
    for (const char* f : {"", "id_ed25519", "prog.py"}) {
      const fs::path p = home_ / f;
      ASSERT_EQ(chown(p.c_str(), kNobody, kNobody), 0);
      ASSERT_EQ(chmod(p.c_str(), *f ? 0600 : 0700), 0);
    }
  }
  void TearDown() override {
    if (!home_.empty()) fs::remove_all(home_);
  }
  // Runs `command` as nobody in the planted home; returns stdout, or "" with the exit status in `code`.
  std::string as_nobody(const std::string& command, int& code) {
    const fs::path out = home_ / "out";
    const std::string cmd = "cd " + home_.string() + " && setpriv --reuid=" + std::to_string(kNobody) +
                            " --regid=" + std::to_string(kNobody) + " --clear-groups " + command + " >" +
                            out.string() + " 2>&1";
    int status = std::system(cmd.c_str());
    code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return slurp(out);
  }
  fs::path home_;
};

TEST_P(UnprivilegedCaller, CannotReadTheCallersPrivateFiles) {
  int code = 0;
  // The oracle: the user can read its own key (and can reach the binary from here).
  const std::string direct = as_nobody("cat id_ed25519", code);
  if (code != 0) GTEST_SKIP() << "nobody cannot reach the build tree here: " << direct;
  ASSERT_EQ(direct.rfind("PRIVATE KEY ", 0), 0u);

  const std::string bin = std::string(DC_BINARY_DIR) + "/bin/diffucoder";
  const std::string out = as_nobody(bin + " sandbox prog.py" + (GetParam() ? "" : " --no-namespaces"), code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out.find("PRIVATE KEY"), std::string::npos) << out;
  EXPECT_NE(out.find(GetParam() ? "FileNotFoundError" : "PermissionError"), std::string::npos) << out;
  EXPECT_NE(out.find("read_allowlist"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Sandbox, UnprivilegedCaller, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "namespaces" : "no_namespaces"; });

}  // namespace
