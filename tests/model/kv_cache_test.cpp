// Cached decoding at the model (TransformerModel::predict_cached, SPEC §4): a refresh is the full pass bit
// for bit; a window call on an unchanged canvas gives the full pass's logits to rounding, for Dream's
// shifted logits and LLaDA's unshifted ones, with prefix, dual and sparse windows and refreshes that keep
// the prompt; a sparse window equals the dual window that runs the same rows; cache slots follow their canvas
// when a call leaves canvases out; misuse is refused with one line. How far cached logits drift once the
// block changes is measured on the trained bundled model (tests/cli/bundled_model_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "../common/error_of.h"
#include "core/error.h"
#include "core/rng.h"
#include "model/transformer_model.h"

namespace dc {
namespace {

using dc::testing::error_of;

const std::string kDream = std::string(DC_TESTDATA_DIR) + "/tiny-dream";
const std::string kLlada = std::string(DC_TESTDATA_DIR) + "/tiny-llada-gqa";

// B canvases of N positions with `pad[b]` left-padding slots and random tokens below the mask id.
struct Canvases {
  int64_t B = 0, N = 0;
  std::vector<int32_t> tokens;
  std::vector<uint8_t> valid;
  CanvasBatch batch() const { return CanvasBatch{B, N, tokens, valid}; }
};

Canvases random_canvases(const TransformerModel& m, const std::vector<int64_t>& pad, int64_t N,
                         uint64_t seed) {
  Canvases c;
  c.B = int64_t(pad.size());
  c.N = N;
  Rng rng(seed);
  const int32_t mask = m.mask_token_id();
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t i = 0; i < N; ++i) {
      const bool real = i >= pad[size_t(b)];
      c.valid.push_back(real ? 1 : 0);
      // Real slots: a token below the mask id, or the mask itself in the last third (the answer slots).
      const int32_t t = int32_t(rng.uniform() * float(mask));
      c.tokens.push_back(!real ? 0 : (i >= 2 * N / 3 && rng.uniform() < 0.5f) ? mask : t);
    }
  return c;
}

// Every position of [begin, end) of every canvas, position 0 excepted.
std::vector<PredictionRef> positions(int64_t B, int64_t begin, int64_t end) {
  std::vector<PredictionRef> out;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t p = std::max<int64_t>(begin, 1); p < end; ++p) out.push_back({int32_t(b), int32_t(p)});
  return out;
}

std::vector<float> full_pass(TransformerModel& m, const CanvasBatch& batch,
                             std::span<const PredictionRef> wanted) {
  std::vector<float> out(wanted.size() * size_t(m.vocab_size()));
  m.predict(batch, wanted, out.data());
  return out;
}

std::vector<float> cached(TransformerModel& m, const CanvasBatch& batch, const CacheWindow& w,
                          std::span<const PredictionRef> wanted) {
  std::vector<float> out(wanted.size() * size_t(m.vocab_size()));
  m.predict_cached(batch, w, wanted, out.data());
  return out;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])));
  return worst;
}

std::vector<int32_t> identity_slots(int64_t B) {
  std::vector<int32_t> s(static_cast<size_t>(B));
  std::iota(s.begin(), s.end(), 0);
  return s;
}

class KvCacheTest : public ::testing::TestWithParam<std::string> {};

TEST_P(KvCacheTest, RefreshIsTheFullPassAndWindowsMatchItOnAnUnchangedCanvas) {
  TransformerModel m(GetParam());
  const Canvases c = random_canvases(m, {0, 3, 5}, 24, 11);
  const std::vector<int32_t> slots = identity_slots(c.B);
  const std::vector<PredictionRef> all = positions(c.B, 0, c.N);
  const std::vector<float> full = full_pass(m, c.batch(), all);

  CacheWindow refresh{true, 0, 0, c.B, slots};
  EXPECT_EQ(cached(m, c.batch(), refresh, all), full);  // bit for bit: the same pass

  // Windows of a block [16, 20): dual ends at the block, prefix at the canvas end. Keys/values outside
  // the window are what the refresh stored, which is what a full pass would compute again.
  for (const int64_t end : {int64_t(20), c.N}) {
    const std::vector<PredictionRef> block = positions(c.B, 16, end);
    const std::vector<float> ref = full_pass(m, c.batch(), block);
    const std::vector<float> got = cached(m, c.batch(), CacheWindow{false, 16, end, c.B, slots}, block);
    EXPECT_LE(max_abs_diff(got, ref), 1e-5) << "window [16, " << end << ")";
  }
  // The window's first position is predicted from the row before it (shifted logits) or itself.
  const std::vector<PredictionRef> first = {{1, 16}};
  EXPECT_LE(max_abs_diff(cached(m, c.batch(), CacheWindow{false, 16, 17, c.B, slots}, first),
                         full_pass(m, c.batch(), first)),
            1e-5);

  // The window really reads the stored keys/values: change a token before the window, and the window's
  // logits keep the refresh's view while a full pass sees the change.
  Canvases changed = c;
  changed.tokens[size_t(1 * c.N + 10)] = (changed.tokens[size_t(1 * c.N + 10)] + 1) % m.mask_token_id();
  const std::vector<PredictionRef> block = positions(c.B, 16, 20);
  const std::vector<float> stale = cached(m, changed.batch(), CacheWindow{false, 16, 20, c.B, slots}, block);
  EXPECT_LE(max_abs_diff(stale, full_pass(m, c.batch(), block)), 1e-5);
  EXPECT_GT(max_abs_diff(stale, full_pass(m, changed.batch(), block)), 1e-4);
}

TEST_P(KvCacheTest, LaterRefreshesAndSparseWindowsMatchTheFullPassOnAnUnchangedCanvas) {
  TransformerModel m(GetParam());
  const Canvases c = random_canvases(m, {0, 3, 5}, 24, 12);
  const std::vector<int32_t> slots = identity_slots(c.B);
  cached(m, c.batch(), CacheWindow{true, 0, 0, c.B, slots}, {});
  // A later refresh from position 16 keeps [0, 16) as stored and runs the rest.
  CacheWindow later{true, 0, 0, c.B, slots};
  later.refresh_from = 16;
  const std::vector<PredictionRef> tail = positions(c.B, 16, c.N);
  EXPECT_LE(max_abs_diff(cached(m, c.batch(), later, tail), full_pass(m, c.batch(), tail)), 1e-5);
  // A sparse window runs only the rows its scattered predictions read (and a stale position).
  CacheWindow sparse{false, 16, 22, c.B, slots};
  sparse.sparse = true;
  const std::vector<PredictionRef> stale = {{0, 20}, {2, 5}};
  sparse.stale = stale;
  const std::vector<PredictionRef> scattered = {{0, 16}, {0, 19}, {1, 21}, {2, 17}, {2, 18}};
  const int64_t rows_before = m.query_rows();
  const std::vector<float> got = cached(m, c.batch(), sparse, scattered);
  EXPECT_EQ(m.query_rows() - rows_before, 5 + 2) << "5 rows read by the predictions, 2 stale positions";
  EXPECT_LE(max_abs_diff(got, full_pass(m, c.batch(), scattered)), 1e-5);
}

TEST_P(KvCacheTest, ASparseWindowRecomputesTheRowsItRunsAndReadsTheRestAsStored) {
  TransformerModel m(GetParam());
  const Canvases c = random_canvases(m, {0, 2}, 24, 13);
  const std::vector<int32_t> slots = identity_slots(c.B);
  // The block [16, 20) after the refresh: position 17 changes in both canvases.
  Canvases changed = c;
  for (int64_t b = 0; b < c.B; ++b) {
    int32_t& t = changed.tokens[size_t(b * c.N + 17)];
    t = (t + 1) % m.mask_token_id();
  }
  const std::vector<PredictionRef> block = positions(c.B, 16, 20);
  // Oracle: the dual window runs every block row (and, with shifted logits, the row before the block).
  // A sparse window whose predictions read the same rows, with the rest of the block stale, runs the
  // same rows against the same stored keys/values.
  cached(m, c.batch(), CacheWindow{true, 0, 0, c.B, slots}, {});
  const std::vector<float> dual = cached(m, changed.batch(), CacheWindow{false, 16, 20, c.B, slots}, block);
  cached(m, c.batch(), CacheWindow{true, 0, 0, c.B, slots}, {});
  CacheWindow sparse{false, 16, 20, c.B, slots};
  sparse.sparse = true;
  std::vector<PredictionRef> stale;
  for (int32_t b = 0; b < int32_t(c.B); ++b)
    for (int32_t p = 16; p < 20; ++p) stale.push_back({b, p});
  sparse.stale = stale;
  EXPECT_LE(max_abs_diff(cached(m, changed.batch(), sparse, block), dual), 1e-5);

  // Without the changed position among its rows, a sparse window sees the refresh's view of it; with it
  // as a stale position, the change reaches the prediction, and the keys/values it wrote stay for the
  // next window.
  const std::vector<PredictionRef> last = {{0, 19}, {1, 19}};
  cached(m, c.batch(), CacheWindow{true, 0, 0, c.B, slots}, {});
  CacheWindow only_last{false, 16, 20, c.B, slots};
  only_last.sparse = true;
  const std::vector<float> unseen = cached(m, changed.batch(), only_last, last);
  EXPECT_LE(max_abs_diff(unseen, full_pass(m, c.batch(), last)), 1e-5);
  CacheWindow with_stale = only_last;
  const std::vector<PredictionRef> changed_rows = {{0, 17}, {1, 17}};
  with_stale.stale = changed_rows;
  const std::vector<float> seen = cached(m, changed.batch(), with_stale, last);
  EXPECT_GT(max_abs_diff(seen, unseen), 1e-4);
  EXPECT_LE(max_abs_diff(cached(m, changed.batch(), only_last, last), seen), 1e-5);
}

TEST_P(KvCacheTest, SlotsFollowTheirCanvasWhenACallLeavesCanvasesOut) {
  TransformerModel m(GetParam());
  const Canvases c = random_canvases(m, {2, 0, 4}, 20, 5);
  // The refresh holds canvases 0 and 2 in slots 2 and 0 of a three-slot cache.
  Canvases two;
  two.B = 2;
  two.N = c.N;
  for (const int64_t b : {int64_t(0), int64_t(2)}) {
    two.tokens.insert(two.tokens.end(), c.tokens.begin() + b * c.N, c.tokens.begin() + (b + 1) * c.N);
    two.valid.insert(two.valid.end(), c.valid.begin() + b * c.N, c.valid.begin() + (b + 1) * c.N);
  }
  const std::vector<int32_t> two_slots = {2, 0};
  cached(m, two.batch(), CacheWindow{true, 0, 0, 3, two_slots}, {});
  // A window over canvas 2 alone (slot 0) gives its full-pass logits.
  Canvases one;
  one.B = 1;
  one.N = c.N;
  one.tokens.assign(c.tokens.begin() + 2 * c.N, c.tokens.end());
  one.valid.assign(c.valid.begin() + 2 * c.N, c.valid.end());
  const std::vector<PredictionRef> block = positions(1, 14, 18);
  const std::vector<int32_t> slot0 = {0};
  EXPECT_LE(max_abs_diff(cached(m, one.batch(), CacheWindow{false, 14, 18, 3, slot0}, block),
                         full_pass(m, one.batch(), block)),
            1e-5);
  // Slot 1 was never filled: a window on it is refused.
  const std::vector<int32_t> slot1 = {1};
  EXPECT_NE(error_of([&] {
              cached(m, one.batch(), CacheWindow{false, 14, 18, 3, slot1}, block);
            }).find("was not filled by a refresh"),
            std::string::npos);
}

TEST_P(KvCacheTest, MisuseIsRefusedWithOneLine) {
  TransformerModel m(GetParam());
  const Canvases c = random_canvases(m, {0, 1}, 16, 3);
  const std::vector<int32_t> slots = identity_slots(c.B);
  const std::vector<PredictionRef> block = positions(c.B, 8, 12);
  // A window, or a refresh that keeps stored positions, before any refresh of this length.
  CacheWindow partial{true, 0, 0, c.B, slots};
  partial.refresh_from = 4;
  EXPECT_NE(error_of([&] { cached(m, c.batch(), partial, {}); }).find("was not filled by a refresh"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              cached(m, c.batch(), CacheWindow{false, 8, 12, c.B, slots}, block);
            }).find("was not filled by a refresh"),
            std::string::npos);
  cached(m, c.batch(), CacheWindow{true, 0, 0, c.B, slots}, {});
  // A wanted position outside the window; a window outside the canvas; slots that do not fit the batch.
  const std::vector<PredictionRef> outside = {{0, 12}};
  EXPECT_NE(error_of([&] {
              cached(m, c.batch(), CacheWindow{false, 8, 12, c.B, slots}, outside);
            }).find("cannot predict canvas 0 position 12"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              cached(m, c.batch(), CacheWindow{false, 8, 17, c.B, slots}, block);
            }).find("is not inside a canvas of length 16"),
            std::string::npos);
  const std::vector<int32_t> one_slot = {0};
  EXPECT_NE(error_of([&] {
              cached(m, c.batch(), CacheWindow{false, 8, 12, c.B, one_slot}, block);
            }).find("cache slots for a batch of 2"),
            std::string::npos);
  CacheWindow later{true, 0, 0, c.B, slots};
  later.refresh_from = 16;
  EXPECT_NE(error_of([&] { cached(m, c.batch(), later, {}); }).find("a refresh from position 16"),
            std::string::npos);
  CacheWindow sparse{false, 8, 12, c.B, slots};
  sparse.sparse = true;
  const std::vector<PredictionRef> stale_outside = {{1, 16}};
  sparse.stale = stale_outside;
  EXPECT_NE(error_of([&] { cached(m, c.batch(), sparse, block); }).find("the stale position 16 of canvas 1"),
            std::string::npos);
  // Query rows that are not a batch's: a wrong canvas count, positions out of order or outside.
  KvCache scratch;
  ForwardActivations acts;
  QueryRows bad = QueryRows::slice(c.B, 8, 12);
  bad.first.pop_back();
  EXPECT_NE(error_of([&] {
              m.forward_rows(c.batch(), bad, scratch, acts);
            }).find("query rows for 1 canvases do not describe a batch of 2"),
            std::string::npos);
  bad = QueryRows::slice(c.B, 8, 12);
  std::swap(bad.positions[0], bad.positions[1]);
  EXPECT_NE(error_of([&] {
              m.forward_rows(c.batch(), bad, scratch, acts);
            }).find("query position 8 of canvas 0 is outside [0, 16) or out of order"),
            std::string::npos);
  bad = QueryRows::slice(c.B, 8, 12);
  bad.positions.back() = 16;
  EXPECT_NE(error_of([&] {
              m.forward_rows(c.batch(), bad, scratch, acts);
            }).find("query position 16 of canvas 1 is outside [0, 16)"),
            std::string::npos);
  const std::vector<int32_t> far = {0, 5};
  EXPECT_NE(error_of([&] {
              cached(m, c.batch(), CacheWindow{true, 0, 0, c.B, far}, {});
            }).find("outside the cache's 2 slots"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Arch, KvCacheTest, ::testing::Values(kDream, kLlada),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param == kDream ? std::string("Dream") : std::string("Llada");
                         });

}  // namespace
}  // namespace dc
