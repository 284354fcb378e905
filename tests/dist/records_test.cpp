// dist::pack / unpack: any bytes survive, packs of several ranks join into one, and bytes that are not a
// pack are a one-line error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "dist/records.h"

namespace dc::dist {
namespace {

TEST(Records, AnyBytesRoundTrip) {
  const std::vector<std::string> records = {"", "a:b", std::string("\0\n\xff", 3), "12:x",
                                            std::string(1000, 'z')};
  EXPECT_EQ(unpack(pack(records)), records);
  EXPECT_TRUE(unpack(pack({})).empty());
}

TEST(Records, JoinedPacksAreThePackOfAllRecords) {
  const std::vector<std::string> a = {"one", "two"}, b = {}, c = {"three"};
  EXPECT_EQ(unpack(pack(a) + pack(b) + pack(c)), (std::vector<std::string>{"one", "two", "three"}));
}

TEST(Records, MalformedBytesAreAnError) {
  for (const std::string bad : {"3:ab", "x:ab", ":ab", "3", "2:ab9"}) EXPECT_THROW(unpack(bad), Error) << bad;
}

}  // namespace
}  // namespace dc::dist
