// A shareable engine: several threads generating at once (a server thread per request, RL rollouts
// overlapping scoring) each get exactly what they get alone. Each thread has its own model object (a model
// holds scratch buffers); they share the process-wide thread pool, which runs one job at a time.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "generate/text_generator.h"

namespace dc {
namespace {

const std::string kTiny = std::string(DC_TESTDATA_DIR) + "/tiny-dream";

GenerationParams sampled(uint64_t seed) {
  GenerationParams p;
  p.max_new_tokens = 24;
  p.steps = 24;
  p.temperature = 0.8f;
  p.top_p = 0.95f;
  p.seed = seed;
  return p;
}

std::vector<TextRequest> request(const std::string& prompt) {
  TextRequest r;
  r.prompt = prompt;
  return {r};
}

TEST(ConcurrentGeneration, EveryThreadGetsWhatItGetsAlone) {
  const std::vector<std::string> prompts = {"def add(a, b):", "import os\n", "class Stack:", "x = [1, 2,"};
  std::vector<std::vector<int32_t>> alone;
  {
    TextGenerator gen(kTiny);
    for (size_t i = 0; i < prompts.size(); ++i)
      alone.push_back(gen.generate(request(prompts[i]), sampled(i + 1))[0].tokens);
  }
  std::vector<std::vector<std::vector<int32_t>>> got(prompts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < prompts.size(); ++i) {
    threads.emplace_back([&, i] {
      TextGenerator gen(kTiny);
      for (int rep = 0; rep < 3; ++rep)
        got[i].push_back(gen.generate(request(prompts[i]), sampled(i + 1))[0].tokens);
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < prompts.size(); ++i)
    for (const auto& tokens : got[i]) EXPECT_EQ(tokens, alone[i]) << "prompt " << i;
}

}  // namespace
}  // namespace dc
