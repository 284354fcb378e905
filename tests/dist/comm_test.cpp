// The ranks of a job (dist/comm.h, agreement.h, job.h): one-rank behaviour in-process, and the collectives
// across two real ranks by running this test binary itself under `mpirun -np 2` (skipped, with the reason,
// where mpirun or MPI support is missing).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "../common/mpi_launch.h"
#include "core/thread_pool.h"
#include "dist/agreement.h"
#include "dist/comm.h"
#include "dist/job.h"

namespace dc::dist {
namespace {

// Under mpirun (the TwoRanks tests), every rank joins the job before the tests and leaves it after.
class JobEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (started_by_launcher()) init(nullptr, nullptr);
  }
  void TearDown() override { finalize(); }
};
const auto* const kJobEnvironment = ::testing::AddGlobalTestEnvironment(new JobEnvironment);

TEST(Comm, OneRankWithoutLauncher) {
  if (started_by_launcher()) GTEST_SKIP() << "runs without mpirun";
  const Comm& c = world();
  EXPECT_EQ(c.rank(), 0);
  EXPECT_EQ(c.size(), 1);
  EXPECT_TRUE(c.is_root());
  EXPECT_FALSE(c.distributed());
  std::vector<float> v = {1.5f, -2.0f};
  c.allreduce_sum(v.data(), v.size());
  EXPECT_EQ(v, (std::vector<float>{1.5f, -2.0f}));  // a copy: one rank's sum is itself
  EXPECT_EQ(c.sum(int64_t(7)), 7);
  EXPECT_EQ(c.min(uint64_t(3)), 3u);
  EXPECT_EQ(c.gather("abc"), (std::vector<std::string>{"abc"}));
  std::string b = "root";
  c.broadcast(b);
  EXPECT_EQ(b, "root");
}

TEST(Agreement, OneRankLetsTheErrorThrough) {
  if (started_by_launcher()) GTEST_SKIP() << "runs without mpirun";
  // Without a job the set-up's own exception type reaches the caller unchanged.
  EXPECT_THROW(agree(world(), [] { throw_error("bad flag"); }), Error);
  int ran = 0;
  agree(world(), [&] { ++ran; });
  EXPECT_EQ(ran, 1);
  EXPECT_NO_THROW(agree_on_value(world(), 42, "command lines"));
}

TEST(Job, Fnv1aMatchesPublishedValues) {
  // FNV-1a 64-bit test vectors (the empty string is the offset basis).
  EXPECT_EQ(fnv1a("", 0), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a("a", 1), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a("foobar", 6), 0x85944171f73967e8ull);
}

TEST(ThreadShare, DefaultThreadsFollowTheShare) {
  set_default_threads(1);
  EXPECT_EQ(default_threads(), 1);
  ThreadPool one(0);  // "all cores" is now the share
  EXPECT_EQ(one.size(), 1);
  set_default_threads(0);  // back to every hardware thread
  EXPECT_GE(default_threads(), 1);
}

// --- Two ranks: these run only inside the mpirun launched by TwoRanks.UnderMpirun. ---

TEST(TwoRanksInJob, Collectives) {
  if (!started_by_launcher()) GTEST_SKIP() << "runs under mpirun (TwoRanks.UnderMpirun)";
  const Comm& c = world();
  ASSERT_EQ(c.size(), 2);
  const int r = c.rank();
  // Sums: rank r holds r + 1 in every element; long buffers too.
  std::vector<float> f(1000, float(r + 1));
  c.allreduce_sum(f.data(), f.size());
  for (float x : f) ASSERT_EQ(x, 3.0f);
  std::vector<double> d = {0.25 * (r + 1)};
  c.allreduce_sum(d.data(), d.size());
  EXPECT_EQ(d[0], 0.75);
  EXPECT_EQ(c.sum(int64_t(r + 10)), 21);
  EXPECT_EQ(c.min(uint64_t(5 + r)), 5u);
  EXPECT_EQ(c.max(uint64_t(5 + r)), 6u);
  // Gather in rank order, on the root only; sizes may differ.
  const auto all = c.gather(std::string(size_t(r + 1), char('a' + r)));
  if (c.is_root()) {
    EXPECT_EQ(all, (std::vector<std::string>{"a", "bb"}));
  } else {
    EXPECT_TRUE(all.empty());
  }
  std::string b = c.is_root() ? "from root" : "";
  c.broadcast(b);
  EXPECT_EQ(b, "from root");
  c.barrier();
}

TEST(TwoRanksInJob, AgreementNamesTheFailingRankOnRootOnly) {
  if (!started_by_launcher()) GTEST_SKIP() << "runs under mpirun (TwoRanks.UnderMpirun)";
  const Comm& c = world();
  try {
    agree(c, [&] {
      if (c.rank() == 1) throw_error("shard 1 is unreadable");
    });
    FAIL() << "agree() returned although rank 1 failed";
  } catch (const AgreedError& e) {
    if (c.is_root()) {
      EXPECT_FALSE(e.quiet());
      EXPECT_EQ(std::string(e.what()), "rank 1: shard 1 is unreadable");
    } else {
      EXPECT_TRUE(e.quiet());
    }
  }
  // Different values: every rank fails; same values: nobody does.
  EXPECT_THROW(agree_on_value(c, uint64_t(c.rank()), "command lines"), AgreedError);
  EXPECT_NO_THROW(agree_on_value(c, 9, "command lines"));
}

TEST(TwoRanks, UnderMpirun) {
  if (started_by_launcher()) GTEST_SKIP() << "the launcher of the two-rank tests";
  if (const std::string why = test::mpi_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  const std::string self = test::self_executable();
  ASSERT_FALSE(self.empty());
  // Every rank runs the TwoRanksInJob tests and must pass them.
  const std::string cmd =
      test::mpirun_prefix(2, "", false, 120) + self + " --gtest_filter='TwoRanksInJob.*' >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "a rank failed its tests; run by hand: " << cmd;
}

}  // namespace
}  // namespace dc::dist
