// The benchmark files shipped in data/benchmarks are the published ones: each file's sha256 equals the
// value its README records (the provenance note), every file there is listed, every licence is present,
// and the default data directory of a build is this copy.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "core/mapped_file.h"
#include "eval/dataset.h"
#include "eval/sha256.h"

namespace dc::eval {
namespace {

namespace fs = std::filesystem;
const fs::path kDir = fs::path(DC_SOURCE_DIR) / "data" / "benchmarks";

TEST(VendoredData, ChecksumsMatchTheProvenanceNote) {
  const std::string readme = read_file((kDir / "README.md").string());
  const std::regex line("([0-9a-f]{64})  (\\S+\\.jsonl\\.gz)");
  std::set<std::string> listed;
  for (std::sregex_iterator it(readme.begin(), readme.end(), line), end; it != end; ++it) {
    const std::string file = (*it)[2];
    listed.insert(file);
    EXPECT_EQ(sha256_hex(read_file((kDir / file).string())), std::string((*it)[1])) << file;
  }
  EXPECT_EQ(listed.size(), 4u);
  for (const auto& e : fs::directory_iterator(kDir)) {
    const std::string f = e.path().filename().string();
    if (f.size() > 3 && f.substr(f.size() - 3) == ".gz") {
      EXPECT_TRUE(listed.count(f)) << f << " is not listed";
    }
  }
  for (const char* lic : {"LICENSE.human-eval", "LICENSE.humanevalplus", "LICENSE.mbppplus"})
    EXPECT_TRUE(fs::exists(kDir / lic)) << lic;
}

TEST(VendoredData, IsTheDefaultDataDirectory) {
  ::unsetenv("DIFFUCODER_DATA_DIR");
  EXPECT_EQ(fs::weakly_canonical(default_data_dir()), fs::weakly_canonical(kDir));
  EXPECT_EQ(load_benchmark("humaneval+", default_data_dir()).tasks.size(), 164u);
}

}  // namespace
}  // namespace dc::eval
