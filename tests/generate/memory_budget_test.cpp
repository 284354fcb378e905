// The generation budget: prompt + new tokens against max_position_embeddings, and the working-memory
// estimate against what the process can still allocate, checked before anything is allocated.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "generate/memory_budget.h"
#include "generate/text_generator.h"
#include "model/random_checkpoint.h"

namespace dc {
namespace {

constexpr uint64_t kGiB = uint64_t(1) << 30;

TEST(MemoryBudget, EstimateOfThe7BModel) {
  const ModelConfig c = diffucoder_7b_config();
  GenerationParams p;
  // The paper's setting (512 slots after a short prompt) needs well under a gigabyte besides the weights:
  // logits 512 x 151,936 x 4 B = 297 MiB, K/V 28 layers x 2 x 612 x 512 x 4 B = 67 MiB, ...
  const uint64_t paper = decode_memory_bytes(c, 1, 100, 512, p, 2);
  EXPECT_GT(paper, 300ull << 20);
  EXPECT_LT(paper, 1 * kGiB);
  // 100k slots: the logits alone are 100,000 x 151,936 x 4 B = 56.6 GiB.
  EXPECT_GT(decode_memory_bytes(c, 1, 100, 100000, p, 2), 56 * kGiB);
  // Doubling the batch doubles the estimate, to within the per-thread scratch.
  const uint64_t one = decode_memory_bytes(c, 1, 100, 512, p, 1),
                 two = decode_memory_bytes(c, 2, 100, 512, p, 1);
  EXPECT_NEAR(double(two) / double(one), 2.0, 0.01);
  // Absurd sizes saturate instead of wrapping around to a small number.
  EXPECT_EQ(decode_memory_bytes(c, int64_t(1) << 40, 1, int64_t(1) << 40, p, 1), UINT64_MAX);
}

TEST(MemoryBudget, PositionsBeyondTheModelAreOneLineErrors) {
  const ModelConfig c = diffucoder_7b_config();  // max_position_embeddings 131072
  GenerationParams p;
  EXPECT_NO_THROW(check_generation_fits(c, 1, 72, 131000, p, 1, UINT64_MAX));
  try {
    check_generation_fits(c, 1, 100, 131000, p, 1, UINT64_MAX);
    FAIL() << "131,100 positions accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "generation: the prompt (100 tokens) + 131000 new tokens need 131100 positions, more than the "
              "model's max_position_embeddings 131072 (lower --max-new-tokens)");
  }
}

TEST(MemoryBudget, MoreThanAvailableIsAnError) {
  const ModelConfig c = diffucoder_7b_config();
  GenerationParams p;
  const uint64_t need = decode_memory_bytes(c, 4, 200, 1024, p, 2);
  EXPECT_NO_THROW(check_generation_fits(c, 4, 200, 1024, p, 2, need));
  try {
    check_generation_fits(c, 4, 200, 1024, p, 2, need - 1);
    FAIL() << "more than the available memory accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    // Logits 4 x 1024 x 151,936 x 4 B (2.3 GiB), one layer's activations over 4 x 1224 rows (1.6 GiB), K/V
    // (0.5 GiB).
    EXPECT_EQ(
        what.rfind("generation: 4 canvases of 1224 positions need about 4.4 GiB of working memory, but only "
                   "4.4 GiB is available",
                   0),
        0u)
        << what;
    EXPECT_NE(what.find("(lower --max-new-tokens or --batch-size)"), std::string::npos) << what;
  }
  EXPECT_GT(available_memory_bytes(), 0u);
}

// TextGenerator checks each batch before the sampler allocates.
TEST(MemoryBudget, TextGeneratorRefusesBeforeAllocating) {
  TextGenerator gen(std::string(DC_TESTDATA_DIR) + "/tiny-dream");  // max_position_embeddings 2048
  GenerationParams p;
  p.max_new_tokens = 4096;
  TextRequest request;
  request.prompt = "def f():";
  p.steps = 4096;
  EXPECT_THROW(gen.generate({request}, p), Error);
}

}  // namespace
}  // namespace dc
