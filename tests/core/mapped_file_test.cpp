// MappedFile::drop_pages: the dropped pages leave the process's resident set (measured in
// /proc/self/smaps_rollup), the bytes stay readable and unchanged, and ranges outside the mapping are
// refused.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/mapped_file.h"

namespace dc {
namespace {

// RssFile of this process in KiB (file-backed resident pages), or -1 where /proc does not say.
long rss_file_kib() {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string key;
  long value = 0;
  std::string unit;
  while (in >> key >> value >> unit)
    if (key == "Rss_File:") return value;
  return -1;
}

class MappedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "mapped_file_test_" + std::to_string(::getpid()) + ".bin";
    bytes_.resize(size_t(32) << 20);  // 32 MiB
    for (size_t i = 0; i < bytes_.size(); ++i) bytes_[i] = uint8_t(i * 2654435761u >> 13);
    std::ofstream(path_, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes_.data()), std::streamsize(bytes_.size()));
  }
  void TearDown() override { std::remove(path_.c_str()); }

  std::string path_;
  std::vector<uint8_t> bytes_;
};

uint64_t touch_all(const MappedFile& f) {
  uint64_t sum = 0;
  for (size_t i = 0; i < f.size(); i += 512) sum += f.data()[i];
  return sum;
}

TEST_F(MappedFileTest, DroppedPagesLeaveTheResidentSetAndReadBackUnchanged) {
  const MappedFile f(path_);
  ASSERT_EQ(f.size(), bytes_.size());
  touch_all(f);
  const long before = rss_file_kib();
  // An unaligned range inside the mapping: its whole pages go.
  ASSERT_TRUE(f.drop_pages(f.data() + 100, f.size() - 200));
  const long after = rss_file_kib();
  if (before >= 0) {
    EXPECT_GE(before - after, 30L << 10) << "RssFile before " << before << " KiB, after " << after << " KiB";
  }
  for (size_t i = 0; i < f.size(); i += 4099) ASSERT_EQ(f.data()[i], bytes_[i]) << "at " << i;
  EXPECT_EQ(f.data()[0], bytes_[0]);
  EXPECT_EQ(f.data()[f.size() - 1], bytes_.back());
}

TEST_F(MappedFileTest, RangesOutsideTheMappingAreRefused) {
  const MappedFile f(path_);
  EXPECT_FALSE(f.drop_pages(bytes_.data(), 4096));         // another buffer
  EXPECT_FALSE(f.drop_pages(f.data() + 1, f.size()));      // runs past the end
  EXPECT_FALSE(f.drop_pages(f.data() + f.size() + 1, 1));  // starts past the end
  EXPECT_TRUE(f.drop_pages(f.data() + 10, 20));            // inside, no whole page: nothing to do
  EXPECT_EQ(f.data()[15], bytes_[15]);
  const MappedFile empty;
  EXPECT_FALSE(empty.drop_pages(bytes_.data(), 1));
}

}  // namespace
}  // namespace dc
