// The text pipeline on the tiny test model: prompt templates, special ids from the files, post-processing,
// agreement with the sampler it wraps, and the `generate --json` line format.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "decode/sampler.h"
#include "generate/canvas_view.h"
#include "generate/text_generator.h"
#include "tokenizer/chat_template.h"

namespace dc {
namespace {

const std::string kTiny = std::string(DC_TESTDATA_DIR) + "/tiny-dream";

GenerationParams greedy(int L) {
  GenerationParams p;
  p.max_new_tokens = L;
  p.steps = L;
  p.temperature = 0;
  return p;
}

TEST(TextGenerator, SpecialIdsComeFromTheFiles) {
  TextGenerator gen(kTiny);
  EXPECT_EQ(gen.special().mask, 1004);
  EXPECT_EQ(gen.special().end_of_text, 1000);
  EXPECT_EQ(gen.special().end_of_turn, 1002);
  EXPECT_EQ(gen.special().dlm_pad, 1005);
}

TEST(TextGenerator, ChatPromptIsTheInstructTemplatePlusPrefix) {
  TextGenerator gen(kTiny);
  TextRequest r;
  r.prompt = "Write add(a, b).";
  EXPECT_EQ(gen.render_prompt(r), "Write add(a, b).");
  r.chat = true;
  r.assistant_prefix = "```python\n";
  EXPECT_EQ(gen.render_prompt(r),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWrite add(a, b).\n"
            "<|im_end|>\n<|im_start|>assistant\n```python\n");
}

TEST(TextGenerator, PostprocessCutsAtTheRightMarker) {
  TextGenerator gen(kTiny);
  const std::vector<int32_t> gen_ids = {10, 11, 1002, 1005, 12, 1000, 13};
  EXPECT_EQ(gen.postprocess(gen_ids, /*chat=*/true), (std::vector<int32_t>{10, 11}));
  EXPECT_EQ(gen.postprocess(gen_ids, /*chat=*/false), (std::vector<int32_t>{10, 11, 1002, 1005, 12}));
}

TEST(TextGenerator, MatchesTheSamplerAndDecodesTheAnswer) {
  TextGenerator gen(kTiny);
  std::vector<TextRequest> reqs(2);
  reqs[0].prompt = "def add(a, b):";
  reqs[1].prompt = "import os\nprint(";
  const GenerationParams p = greedy(12);
  std::vector<TextResult> res = gen.generate(reqs, p, /*batch_size=*/2);
  ASSERT_EQ(res.size(), 2u);

  std::vector<std::vector<int32_t>> prompts = {gen.tokenizer().encode(reqs[0].prompt),
                                               gen.tokenizer().encode(reqs[1].prompt)};
  GenerationParams q = p;
  q.pad_token_id = 1000;
  GenerationResult direct = generate(gen.model(), prompts, q);
  for (int b = 0; b < 2; ++b) {
    EXPECT_EQ(res[b].prompt_tokens, prompts[b]);
    EXPECT_EQ(res[b].tokens, direct.tokens[b]);
    ASSERT_EQ(res[b].tokens.size(), 12u);
    EXPECT_EQ(res[b].answer_tokens, gen.postprocess(res[b].tokens, false));
    EXPECT_EQ(res[b].text, gen.tokenizer().decode(res[b].answer_tokens));
    EXPECT_EQ(res[b].batch_size, 2);
    // Every generated slot is committed exactly once.
    std::vector<int> seen(12, 0);
    for (const Commit& c : res[b].order) {
      ASSERT_GE(c.position, 0);
      ASSERT_LT(c.position, 12);
      seen[c.position]++;
      EXPECT_EQ(c.token, res[b].tokens[c.position]);
    }
    for (int s : seen) EXPECT_EQ(s, 1);
  }
  // Batching does not change greedy results.
  std::vector<TextResult> one = gen.generate({reqs[1]}, p, 1);
  EXPECT_EQ(one[0].tokens, res[1].tokens);
}

TEST(TextGenerator, JsonLineHasTheDocumentedFields) {
  TextGenerator gen(kTiny);
  TextRequest r;
  r.prompt = "x = ";
  TextResult res = gen.generate({r}, greedy(6))[0];
  const std::string line = text_result_json(res);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["prompt_tokens"].get<std::vector<int32_t>>(), res.prompt_tokens);
  EXPECT_EQ(j["tokens"].get<std::vector<int32_t>>(), res.tokens);
  EXPECT_EQ(j["text"].get<std::string>(), res.text);
  ASSERT_EQ(j["order"].size(), res.order.size());
  EXPECT_EQ(j["order"][0][0].get<int>(), res.order[0].step);
  EXPECT_EQ(j["order"][0][1].get<int>(), res.order[0].position);
  EXPECT_EQ(j["order"][0][2].get<int>(), res.order[0].token);
  EXPECT_EQ(j["stats"]["steps"].get<int>(), 6);
  EXPECT_EQ(j["stats"]["temperature"].get<double>(), 0.0);
  EXPECT_GT(j["stats"]["seconds"].get<double>(), 0.0);
  EXPECT_NEAR(j["stats"]["tokens_per_second"].get<double>(), 6 / j["stats"]["seconds"].get<double>(), 1e-6);
}

TEST(CanvasView, MasksAndFreshTokens) {
  TextGenerator gen(kTiny);
  const Tokenizer& tok = gen.tokenizer();
  std::vector<int32_t> ids = tok.encode("ab");
  std::vector<int32_t> canvas = {1004};
  canvas.insert(canvas.end(), ids.begin(), ids.end());
  canvas.push_back(1004);
  std::vector<uint8_t> fresh(canvas.size(), 0);
  CanvasViewStyle plain;
  plain.color = false;
  plain.mask_glyph = "_";
  EXPECT_EQ(render_canvas(tok, canvas, fresh, 1004, plain), "_ab_");
  fresh[1] = 1;
  CanvasViewStyle color;
  color.mask_glyph = "_";
  const std::string s = render_canvas(tok, canvas, fresh, 1004, color);
  EXPECT_NE(s.find("\x1b[1;32m"), std::string::npos);
  EXPECT_NE(s.find("\x1b[2m_"), std::string::npos);
}

TEST(CanvasView, RepeatedSpecialTokensAreCounted) {
  TextGenerator gen(kTiny);
  const Tokenizer& tok = gen.tokenizer();
  const int32_t eos = tok.token_id("<|endoftext|>").value();
  ASSERT_TRUE(tok.is_special(eos));
  std::vector<int32_t> canvas = tok.encode("ab");
  canvas.insert(canvas.end(), {eos, eos, eos, eos, 1004, eos, eos});
  const std::vector<uint8_t> fresh(canvas.size(), 0);
  CanvasViewStyle plain;
  plain.color = false;
  plain.mask_glyph = "_";
  // Four in a row are drawn once with their count; two stay as they are.
  EXPECT_EQ(render_canvas(tok, canvas, fresh, 1004, plain), "ab<|endoftext|>×4_<|endoftext|><|endoftext|>");
}

}  // namespace
}  // namespace dc
