// Append-only deltas of a growing committed prefix: held-back partial UTF-8 and partial stop strings, the
// stop rule, and agreement of the streamed text with the whole answer for every way of growing it.
#include <gtest/gtest.h>

#include "server/stream_delta.h"

namespace dc::server {
namespace {

TEST(IncompleteUtf8, CountsOnlySequencesThatCanStillComplete) {
  EXPECT_EQ(incomplete_utf8_suffix(""), 0u);
  EXPECT_EQ(incomplete_utf8_suffix("abc"), 0u);
  EXPECT_EQ(incomplete_utf8_suffix("a\xC3"), 1u);          // é missing its last byte
  EXPECT_EQ(incomplete_utf8_suffix("a\xE2\x82"), 2u);      // € missing one
  EXPECT_EQ(incomplete_utf8_suffix("a\xF0\x9F\x98"), 3u);  // 😀 missing one
  EXPECT_EQ(incomplete_utf8_suffix("a\xE2\x82\xAC"), 0u);  // € complete
  EXPECT_EQ(incomplete_utf8_suffix("a\xC0"), 0u);          // never valid: repaired at once
  EXPECT_EQ(incomplete_utf8_suffix("a\xF0\x80"), 0u);      // overlong start
  EXPECT_EQ(incomplete_utf8_suffix("a\xED\xA0"), 0u);      // a surrogate
  EXPECT_EQ(incomplete_utf8_suffix("a\x80"), 0u);          // a stray continuation byte
  EXPECT_EQ(incomplete_utf8_suffix("a\xE0"), 1u);          // E0 A0..BF .. can follow
}

TEST(FindStop, EarliestEndWinsThenLongest) {
  const std::vector<std::string> stops = {"abcd", "c"};
  auto m = find_stop("xxabcd", stops);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->begin, 4u);  // "c" ends at 5, before "abcd" ends at 6
  const std::vector<std::string> nested = {"bc", "abc"};
  m = find_stop("zabc", nested);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->begin, 1u);  // both end at 4: the longer one
  EXPECT_FALSE(find_stop("zzz", nested));
}

TEST(StopPrefixSuffix, LongestProperPrefix) {
  const std::vector<std::string> stops = {"###", "END"};
  EXPECT_EQ(stop_prefix_suffix("text##", stops), 2u);
  EXPECT_EQ(stop_prefix_suffix("text E", stops), 1u);
  EXPECT_EQ(stop_prefix_suffix("text EN", stops), 2u);
  EXPECT_EQ(stop_prefix_suffix("text", stops), 0u);
}

TEST(StreamDelta, HoldsBackPartialUtf8) {
  StreamDelta d;
  EXPECT_EQ(d.update("caf", false), "caf");
  EXPECT_EQ(d.update("caf\xC3", false), "");
  EXPECT_EQ(d.update("caf\xC3\xA9!", false), "\xC3\xA9!");
  EXPECT_EQ(d.sent(), "caf\xC3\xA9!");
}

TEST(StreamDelta, RepairsWhatCanNeverComplete) {
  StreamDelta d;
  EXPECT_EQ(d.update("a\xC3", false), "a");
  EXPECT_EQ(d.update("a\xC3z", false), "\xEF\xBF\xBDz");  // the lead byte met an ASCII byte
  StreamDelta f;
  EXPECT_EQ(f.update("a\xE2\x82", true), "a\xEF\xBF\xBD");  // final: repaired as decode() does
}

TEST(StreamDelta, HoldsBackPartialStopsAndCutsAtTheStop) {
  StreamDelta d({"\n\n"});
  EXPECT_EQ(d.update("x = 1\n", false), "x = 1");
  EXPECT_EQ(d.update("x = 1\ny", false), "\ny");
  EXPECT_FALSE(d.stopped());
  EXPECT_EQ(d.update("x = 1\ny\n\nmore", false), "");
  EXPECT_TRUE(d.stopped());
  EXPECT_EQ(d.sent(), "x = 1\ny");
  EXPECT_EQ(d.update("x = 1\ny\n\nmore and more", true), "");  // nothing after the stop
}

TEST(StreamDelta, FinalReleasesHeldText) {
  StreamDelta d({"END"});
  EXPECT_EQ(d.update("abcEN", false), "abc");
  EXPECT_EQ(d.update("abcEN", true), "EN");
  EXPECT_FALSE(d.stopped());
}

TEST(StreamDelta, NeverRetracts) {
  StreamDelta d;
  EXPECT_EQ(d.update("abc", false), "abc");
  EXPECT_EQ(d.update("ab", false), "");    // a shorter prefix sends nothing
  EXPECT_EQ(d.update("xyz1", false), "");  // a different text sends nothing
  EXPECT_EQ(d.sent(), "abc");
}

// Every split of the answer's bytes into growing prefixes streams exactly the whole-answer text.
TEST(StreamDelta, AnyGrowthStreamsTheWholeAnswer) {
  const std::string bytes = "def f():\n  return \"\xE2\x82\xAC\xC3\" ## \xF0\x9F\x98\x80 END tail";
  const std::vector<std::vector<std::string>> stop_sets = {
      {}, {"END"}, {"##"}, {"\xF0\x9F\x98\x80"}, {"zzz"}};
  for (const auto& stops : stop_sets) {
    StreamDelta whole(stops);
    const std::string expected = whole.update(bytes, true);
    for (size_t step = 1; step <= 5; ++step) {
      StreamDelta d(stops);
      std::string got;
      for (size_t n = 0; n < bytes.size(); n += step) got += d.update(bytes.substr(0, n), false);
      got += d.update(bytes, true);
      EXPECT_EQ(got, expected) << "step " << step;
      EXPECT_EQ(d.stopped(), whole.stopped());
    }
  }
}

}  // namespace
}  // namespace dc::server
