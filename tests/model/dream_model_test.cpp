// The Dream forward pass against the PyTorch twin (scripts/twin/dream_twin.py): logits of the tiny random
// model for a left-padded batch, committed in tests/testdata/twin/ by scripts/twin/make_fixtures.py.
//
// Tolerance: per raw row, max_v |ours - twin| / max_v |twin| ("row-relative"). fp32 paths must agree to 1e-4
// (only summation order differs). See BF16 below for the bf16 tolerance.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "kernels/ops.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/random_checkpoint.h"
#include "model/safetensors_writer.h"
#include "model/transformer_model.h"

namespace dc {
namespace {

const std::string kTiny = std::string(DC_TESTDATA_DIR) + "/tiny-dream";
const std::string kTwin = std::string(DC_TESTDATA_DIR) + "/twin";

struct Fixture {
  int64_t B = 0, N = 0, V = 0;
  std::vector<int32_t> tokens;  // (B, N)
  std::vector<uint8_t> valid;   // (B, N)
  nlohmann::json files;

  // Raw rows (B, N, V) of one reference ("f32", "tied", "bf16").
  std::vector<float> logits(const std::string& which) const {
    const std::string path = kTwin + "/" + files.at(which).get<std::string>();
    const std::string bytes = read_file(path);
    EXPECT_EQ(bytes.size(), size_t(B * N * V) * 4) << path;
    std::vector<float> out(size_t(B * N * V));
    std::memcpy(out.data(), bytes.data(), std::min(bytes.size(), out.size() * 4));
    return out;
  }
  CanvasBatch batch() const { return CanvasBatch{B, N, tokens, valid}; }
};

Fixture load_fixture() {
  Fixture f;
  const nlohmann::json j = nlohmann::json::parse(read_file(kTwin + "/dream_forward.json"));
  f.B = j.at("batch");
  f.N = j.at("length");
  f.V = j.at("vocab");
  for (const auto& row : j.at("tokens"))
    for (const auto& t : row) f.tokens.push_back(t.get<int32_t>());
  for (const auto& row : j.at("valid"))
    for (const auto& t : row) f.valid.push_back(uint8_t(t.get<int>()));
  f.files = j.at("files");
  return f;
}

// Largest row-relative difference over R rows of width V.
double max_row_rel(const float* a, const float* b, int64_t R, int64_t V) {
  double worst = 0;
  for (int64_t r = 0; r < R; ++r) {
    double diff = 0, scale = 0;
    for (int64_t v = 0; v < V; ++v) {
      diff = std::max(diff, std::fabs(double(a[r * V + v]) - double(b[r * V + v])));
      scale = std::max(scale, std::fabs(double(b[r * V + v])));
    }
    worst = std::max(worst, diff / scale);
  }
  return worst;
}

std::vector<float> all_raw_rows(TransformerModel& m, const CanvasBatch& batch) {
  std::vector<int64_t> rows(size_t(batch.batch * batch.length));
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = int64_t(i);
  std::vector<float> out(rows.size() * size_t(m.vocab_size()));
  m.raw_logits(batch, rows, out.data());
  return out;
}

// A copy of the tiny model in one model.safetensors: every tensor converted to `dtype`; with `tied`,
// lm_head.weight dropped and tie_word_embeddings set. Written under the build directory.
std::string write_variant(const std::string& name, DType dtype, bool tied) {
  const std::string dir = std::string(DC_BINARY_DIR) + "/testdata-model/" + name;
  std::filesystem::create_directories(dir);
  const Checkpoint src = Checkpoint::open(kTiny);
  ModelConfig cfg = src.config();
  cfg.tie_word_embeddings = tied;
  cfg.torch_dtype = dtype == DType::BF16 ? "bfloat16" : "float32";
  write_file_atomic(dir + "/config.json", model_config_to_json(cfg));
  std::vector<NamedTensor> tensors;
  for (const std::string& n : src.names()) {
    if (tied && n == "lm_head.weight") continue;
    const TensorView& t = src.get(n);
    tensors.push_back(make_float_tensor(n, dtype, t.shape, tensor_to_f32(t)));
  }
  write_safetensors(dir + "/model.safetensors", tensors);
  return dir;
}

// Runs fn once per instruction set this CPU supports (weights are packed for the ISA active at load time),
// then restores the detected one.
template <typename Fn>
void for_each_isa(Fn fn) {
  const kernels::Isa best = kernels::detected_isa();
  for (kernels::Isa isa : {kernels::Isa::Scalar, kernels::Isa::Avx2, kernels::Isa::Avx512}) {
    if (uint8_t(isa) > uint8_t(best)) continue;
    kernels::force_isa(isa);
    SCOPED_TRACE(kernels::isa_name(isa));
    fn(isa);
  }
  kernels::force_isa(best);
}

TEST(TransformerModel, LeftPaddedBatchMatchesTwinF32) {
  const Fixture f = load_fixture();
  const std::vector<float> ref = f.logits("f32");
  for_each_isa([&](kernels::Isa) {
    TransformerModel m(kTiny);
    ASSERT_EQ(m.vocab_size(), f.V);
    const std::vector<float> got = all_raw_rows(m, f.batch());
    for (float x : got) ASSERT_TRUE(std::isfinite(x));  // pad rows included
    EXPECT_LE(max_row_rel(got.data(), ref.data(), f.B * f.N, f.V), 1e-4);
  });
}

TEST(TransformerModel, PredictUsesShiftedRows) {
  // The prediction for position p is raw row p-1: request every masked position and compare with the twin.
  const Fixture f = load_fixture();
  const std::vector<float> ref = f.logits("f32");
  TransformerModel m(kTiny);
  std::vector<PredictionRef> wanted;
  for (int64_t b = 0; b < f.B; ++b)
    for (int64_t i = 1; i < f.N; ++i)
      if (f.tokens[size_t(b * f.N + i)] == m.mask_token_id()) wanted.push_back({int32_t(b), int32_t(i)});
  ASSERT_GE(wanted.size(), 8u);
  std::vector<float> got(wanted.size() * size_t(f.V));
  m.predict(f.batch(), wanted, got.data());
  for (size_t r = 0; r < wanted.size(); ++r) {
    const int64_t raw = int64_t(wanted[r].row) * f.N + wanted[r].position - 1;
    EXPECT_LE(max_row_rel(got.data() + r * f.V, ref.data() + raw * f.V, 1, f.V), 1e-4) << "request " << r;
  }
}

TEST(TransformerModel, PaddedRowsEqualTheSequenceAlone) {
  // Canvas 0 of the fixture is left-padded by 4: its real rows must equal the same 8 tokens run alone
  // (positions restart at 0, pad keys are invisible). Canvas 1 has no padding: batched with a copy of
  // itself in an unpadded batch it must equal itself alone.
  const Fixture f = load_fixture();
  TransformerModel m(kTiny);
  const std::vector<float> batched = all_raw_rows(m, f.batch());
  const std::vector<int32_t> seq0(f.tokens.begin() + 4, f.tokens.begin() + f.N);
  const std::vector<float> alone0 = all_raw_rows(m, CanvasBatch{1, f.N - 4, seq0, {}});
  EXPECT_LE(max_row_rel(batched.data() + 4 * f.V, alone0.data(), f.N - 4, f.V), 1e-5);

  std::vector<int32_t> two(f.tokens.begin() + f.N, f.tokens.begin() + 2 * f.N);
  two.insert(two.end(), two.begin(), two.end());
  const std::vector<float> pair = all_raw_rows(m, CanvasBatch{2, f.N, two, {}});
  const std::vector<float> alone1 =
      all_raw_rows(m, CanvasBatch{1, f.N, std::span(two).first(size_t(f.N)), {}});
  EXPECT_LE(max_row_rel(pair.data(), alone1.data(), f.N, f.V), 1e-5);
  EXPECT_LE(max_row_rel(pair.data() + f.N * f.V, alone1.data(), f.N, f.V), 1e-5);
  EXPECT_LE(max_row_rel(batched.data() + f.N * f.V, alone1.data(), f.N, f.V), 1e-5);
}

TEST(TransformerModel, TiedHeadMatchesTwin) {
  const Fixture f = load_fixture();
  const std::vector<float> ref = f.logits("tied");
  TransformerModel m(write_variant("tied", DType::F32, true));
  EXPECT_TRUE(m.config().tie_word_embeddings);
  const std::vector<float> got = all_raw_rows(m, f.batch());
  EXPECT_LE(max_row_rel(got.data(), ref.data(), f.B * f.N, f.V), 1e-4);
}

TEST(TransformerModel, Bf16WeightsMatchTwin) {
  // Reference: the twin with every weight rounded to bf16 and fp32 arithmetic. At exact precision (the
  // default) every kernel multiplies fp32 activations with the weights widened to fp32, so it must match
  // to 1e-4. At fast precision the AVX512-BF16 kernel rounds the GEMM inputs (activations) to bf16 for
  // vdpbf16ps; the twin run with bf16 activations everywhere (more rounding than that) moves these logits
  // by `bf16_activations_vs_bf16_weights_rel_gap` (1.1e-2, recorded in the fixture), so that path gets
  // 2e-2 (the other kernels ignore the setting). Reading the weights wrongly (layout, byte order, a wrong
  // tensor) moves them by O(1).
  const Fixture f = load_fixture();
  const std::vector<float> ref = f.logits("bf16");
  const std::string dir = write_variant("bf16", DType::BF16, false);
  for_each_isa([&](kernels::Isa isa) {
    TransformerModel m(dir);
    ASSERT_EQ(m.weights().embed.dtype, DType::BF16);
    ASSERT_EQ(m.precision(), kernels::Precision::Exact);
    for (const kernels::Precision pr : {kernels::Precision::Exact, kernels::Precision::Fast}) {
      m.set_precision(pr);
      const std::vector<float> got = all_raw_rows(m, f.batch());
      for (float x : got) ASSERT_TRUE(std::isfinite(x));
      const bool rounds_activations =
          pr == kernels::Precision::Fast &&
          m.weights().lm_head.layout() == kernels::PackedWeight::Layout::Avx512Bf16;
      const double err = max_row_rel(got.data(), ref.data(), f.B * f.N, f.V);
      EXPECT_LE(err, rounds_activations ? 2e-2 : 1e-4) << (pr == kernels::Precision::Fast ? "fast" : "exact");
      if (rounds_activations) {
        EXPECT_GT(err, 1e-4) << "the fast path should round the activations";
      }
    }
  });
}

TEST(TransformerModel, SliceAgainstCacheMatchesFullPass) {
  // A pass over [begin, end) reading the other positions' keys/values from a cache filled by a full pass
  // over the same canvas gives the full pass's rows (the shape prefix and dual caching rely on).
  const Fixture f = load_fixture();
  TransformerModel m(kTiny);
  const CanvasBatch batch = f.batch();
  KvCache cache;
  ForwardActivations full, part;
  m.forward(batch, 0, f.N, cache, full);
  const int64_t C = m.config().hidden_size;
  for (auto [begin, end] : {std::pair<int64_t, int64_t>{7, 10}, {8, 12}, {0, 5}}) {
    m.forward(batch, begin, end, cache, part);
    const int64_t S = end - begin;
    ASSERT_EQ(part.hidden.size(), size_t(f.B * S * C));
    for (int64_t b = 0; b < f.B; ++b)
      EXPECT_LE(max_row_rel(part.hidden.data() + b * S * C, full.hidden.data() + (b * f.N + begin) * C, S, C),
                1e-5)
          << "slice [" << begin << ", " << end << ") canvas " << b;
  }
}

TEST(TransformerModel, KeptActivationsDescribeEveryLayer) {
  const Fixture f = load_fixture();
  TransformerModel m(kTiny);
  KvCache cache;
  ForwardActivations plain, kept;
  m.forward(f.batch(), 0, f.N, cache, plain);
  m.forward(f.batch(), 0, f.N, cache, kept, true);
  const ModelConfig& c = m.config();
  ASSERT_EQ(kept.layers.size(), size_t(c.num_hidden_layers));
  EXPECT_EQ(plain.hidden, kept.hidden);
  // Layer 0 starts from the embeddings, widened exactly.
  const std::vector<float> embed = tensor_to_f32(m.weights().embed);
  for (int64_t r = 0; r < f.B * f.N; ++r)
    for (int64_t j = 0; j < c.hidden_size; ++j)
      ASSERT_EQ(kept.layers[0].h_in[size_t(r * c.hidden_size + j)],
                embed[size_t(f.tokens[size_t(r)] * c.hidden_size + j)]);
  // Each later layer starts from the previous layer's output h_mid + act Wdown^T (scalar check in double).
  const Checkpoint ck = Checkpoint::open(kTiny);
  const int64_t C = c.hidden_size, F = c.intermediate_size;
  for (int64_t l = 0; l + 1 < c.num_hidden_layers; ++l) {
    const std::vector<float> wd =
        tensor_to_f32(ck.get("model.layers." + std::to_string(l) + ".mlp.down_proj.weight"));  // [C, F]
    const LayerActivations& a = kept.layers[size_t(l)];
    double worst = 0;
    for (int64_t r = 0; r < f.B * f.N; ++r)
      for (int64_t j = 0; j < C; ++j) {
        double y = a.h_mid[size_t(r * C + j)];
        for (int64_t i = 0; i < F; ++i) y += double(a.act[size_t(r * F + i)]) * wd[size_t(j * F + i)];
        worst = std::max(worst, std::fabs(y - kept.layers[size_t(l + 1)].h_in[size_t(r * C + j)]));
      }
    EXPECT_LE(worst, 1e-4) << "layer " << l;
  }
  EXPECT_EQ(plain.layers.size(), 1u);
}

TEST(TransformerModel, RejectsBadRequests) {
  const Fixture f = load_fixture();
  TransformerModel m(kTiny);
  std::vector<float> out(size_t(f.V));
  const PredictionRef zero{0, 0};
  EXPECT_THROW(m.predict(f.batch(), std::span(&zero, 1), out.data()), Error);
  const PredictionRef past{0, int32_t(f.N)};
  EXPECT_THROW(m.predict(f.batch(), std::span(&past, 1), out.data()), Error);
  const PredictionRef bad_row{int32_t(f.B), 1};
  EXPECT_THROW(m.predict(f.batch(), std::span(&bad_row, 1), out.data()), Error);
  std::vector<int32_t> toks = f.tokens;
  toks[5] = int32_t(f.V);
  const PredictionRef ok{0, 5};
  EXPECT_THROW(m.predict(CanvasBatch{f.B, f.N, toks, f.valid}, std::span(&ok, 1), out.data()), Error);
  EXPECT_THROW(m.predict(CanvasBatch{f.B, f.N + 1, f.tokens, f.valid}, std::span(&ok, 1), out.data()), Error);
  KvCache cache;
  ForwardActivations acts;
  EXPECT_THROW(m.forward(f.batch(), 5, 5, cache, acts), Error);
  EXPECT_THROW(m.forward(f.batch(), 0, f.N + 1, cache, acts), Error);
  EXPECT_THROW(TransformerModel{kTwin}, Error);  // no config.json there
}

}  // namespace
}  // namespace dc

namespace dc {
namespace {

TEST(DreamRandom, F32AndBf16CopiesHoldTheSameWeights) {
  ModelConfig cfg = qwen25_05b_dream_config();
  cfg.hidden_size = 32;
  cfg.num_hidden_layers = 3;
  cfg.num_attention_heads = 4;
  cfg.num_key_value_heads = 2;
  cfg.head_dim = 8;
  cfg.intermediate_size = 48;
  cfg.vocab_size = 64;
  cfg.tie_word_embeddings = false;
  cfg.mask_token_id = 60;
  cfg.pad_token_id = cfg.eos_token_id = 61;
  cfg.bos_token_id = 62;
  const std::string base = std::string(DC_BINARY_DIR) + "/testdata-model/random-";
  write_random_checkpoint(base + "f32", cfg, DType::F32, 7, 2);
  write_random_checkpoint(base + "bf16", cfg, DType::BF16, 7, 2);
  EXPECT_TRUE(random_dream_checkpoint_exists(base + "f32", cfg, DType::F32, 7));
  EXPECT_FALSE(random_dream_checkpoint_exists(base + "f32", cfg, DType::F32, 8));
  const Checkpoint a = Checkpoint::open(base + "f32"), b = Checkpoint::open(base + "bf16");
  ASSERT_EQ(a.names(), b.names());
  for (const std::string& n : a.names()) {
    ASSERT_EQ(a.get(n).dtype, DType::F32);
    ASSERT_EQ(b.get(n).dtype, DType::BF16);
    EXPECT_EQ(tensor_to_f32(a.get(n)), tensor_to_f32(b.get(n))) << n;
  }
  // Both load and give finite logits for a fully masked canvas.
  TransformerModel m(base + "bf16");
  const std::vector<int32_t> tokens{1, 2, 60, 60, 60};
  const PredictionRef w{0, 3};
  std::vector<float> out(64);
  m.predict(CanvasBatch{1, 5, tokens, {}}, std::span(&w, 1), out.data());
  for (float x : out) EXPECT_TRUE(std::isfinite(x));
}

}  // namespace
}  // namespace dc
