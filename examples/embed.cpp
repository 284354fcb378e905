// Embedding the engine: load a model folder, tokenize a prompt, generate with a step callback that shows
// progress on stderr, print the answer on stdout. Uses only the public header.
//   example_embed MODEL_DIR [PROMPT] [MAX_NEW_TOKENS]
// Exit status 1 with one error line on stderr for a bad model folder or request; 2 for a usage error.
#include <diffucoder/diffucoder.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s MODEL_DIR [PROMPT] [MAX_NEW_TOKENS]\n", argv[0]);
    return 2;
  }
  try {
    diffucoder::Engine engine = diffucoder::Engine::load(argv[1]);

    diffucoder::GenerateRequest req;
    req.prompt = argc > 2 ? argv[2] : "def fibonacci(n):";
    req.max_new_tokens = argc > 3 ? std::atoi(argv[3]) : 32;
    req.temperature = 0;  // greedy: the same answer every run
    std::fprintf(stderr, "prompt: %zu tokens\n", engine.tokenize(req.prompt).size());

    // Called after every denoising step; returning false would stop early.
    auto progress = [&](const diffucoder::Step& s) {
      int masked = 0;
      for (int32_t id : s.tokens) masked += id == engine.mask_token();
      std::fprintf(stderr, "\rstep %d/%d, %d slots still masked", s.step, s.total_steps, masked);
      if (s.step == s.total_steps) std::fputc('\n', stderr);
      return true;
    };
    const diffucoder::GenerateResponse res = engine.generate(req, progress);

    std::printf("%s%s\n", req.prompt.c_str(), res.text.c_str());
    std::fprintf(stderr, "%zu answer tokens in %d steps, %.2f s\n", res.answer_tokens.size(), res.steps_run,
                 res.seconds);
    return 0;
  } catch (const diffucoder::Error& e) {
    std::fprintf(stderr, "embed: error: %s\n", e.what());
    return 1;
  }
}
