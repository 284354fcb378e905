// The decompressed-size cap of gzip samples and datasets: a 1 MB file that expands to 1 GiB of zeros (a
// gzip bomb) stops with one line naming the file, having held at most the cap, while real files (the
// largest benchmark expands to 7.7 MB) read as before.
#include <sys/resource.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/error.h"
#include "eval/dataset.h"
#include "eval/gzip_file.h"
#include "eval/samples.h"
#include "eval_fixture.h"

namespace dc::eval {
namespace {

// gzip data that expands to `bytes` zero bytes, made without ever holding them.
std::string gzip_zeros(uint64_t bytes) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  static const std::string zeros(1 << 20, '\0');
  std::string out;
  char buf[1 << 16];
  for (uint64_t left = bytes;;) {
    const uint64_t n = std::min<uint64_t>(left, zeros.size());
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
    zs.avail_in = uInt(n);
    left -= n;
    const int flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    int rc;
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof(buf);
      rc = deflate(&zs, flush);
      out.append(buf, sizeof(buf) - zs.avail_out);
    } while (zs.avail_out == 0);
    if (rc == Z_STREAM_END) break;
  }
  deflateEnd(&zs);
  return out;
}

TEST(GzipCap, SmallFilesExpandAndLargeOnesStop) {
  const std::string one_mib = gzip_zeros(1 << 20);
  EXPECT_EQ(gunzip(one_mib, "x").size(), size_t(1) << 20);
  try {
    gunzip(one_mib, "samples.jsonl.gz", 512 << 10);
    FAIL() << "1 MiB accepted under a 512 KiB cap";
  } catch (const Error& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "samples.jsonl.gz: decompresses to more than 0 MiB, the cap for a gzip file here (a gzip bomb?)");
  }
}

TEST(GzipCap, OneGibBombInSamplesAndDatasetsIsOneLine) {
  const std::string bomb = gzip_zeros(uint64_t(1) << 30);
  EXPECT_LT(bomb.size(), size_t(2) << 20);  // about 1 MB on disk
  const std::string path = testing::scratch("gzip_bomb") + "/bomb.jsonl.gz";
  std::ofstream(path, std::ios::binary) << bomb;
  const Dataset d = load_dataset(std::string(DC_TESTDATA_DIR) + "/eval/generic.jsonl");
  const std::string expected =
      path + ": decompresses to more than 256 MiB, the cap for a gzip file here (a gzip bomb?)";
  try {
    load_samples(path, d);
    FAIL() << "the bomb was read as samples";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), expected);
  }
  try {
    load_dataset(path);
    FAIL() << "the bomb was read as a dataset";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), expected);
  }
  // The process never held the gigabyte (ctest runs this test in a process of its own).
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  EXPECT_LT(ru.ru_maxrss, 700L << 10) << "peak resident set in KiB";
}

}  // namespace
}  // namespace dc::eval
