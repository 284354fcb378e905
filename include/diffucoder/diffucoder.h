// diffucoder: the engine for programs that embed it. This header is the whole public interface: load a
// model folder, turn text into token ids and back, and generate by masked diffusion with an optional
// per-step callback that watches the canvas and may stop early. Nothing here prints.
//
//   diffucoder::Engine engine = diffucoder::Engine::load("models/diffucoder-tiny");
//   diffucoder::GenerateRequest req;
//   req.prompt = "def fibonacci(n):";
//   req.max_new_tokens = 64;
//   std::string answer = engine.generate(req).text;
//
// Every error a caller can cause (a bad model folder, an invalid request) is a diffucoder::Error whose
// what() is one line saying what is wrong and where. An Engine is movable, not copyable; one Engine serves
// one generation at a time (use one Engine per concurrent request: the worker pool is shared and
// serialises them). Model folders hold config.json, *.safetensors and the tokenizer files (vocab.json,
// merges.txt, added tokens).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace diffucoder {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct EngineOptions {
  // Worker threads of the process-wide pool the kernels use; 0 keeps it as it is (all cores unless set
  // before). Resizing recreates the pool: do it before other threads use an Engine.
  int threads = 0;
};

// One generation. The defaults are those of `diffucoder generate`: DiffuCoder's settings, and for LLaDA
// models LLaDA's remasking rule and block length.
struct GenerateRequest {
  std::string prompt;        // plain text to complete, or with `chat` the user's message
  bool chat = false;         // wrap the prompt in the instruct chat template
  std::string system;        // system message of the chat template; empty: the model's default
  int max_new_tokens = 256;  // generated slots (all are filled)
  int steps = 0;             // denoising steps; 0: max_new_tokens
  // Which masked slots each step commits: "entropy", "maskgit_plus", "topk_margin", "origin",
  // "low_confidence" or "random"; empty: the model's default (entropy; LLaDA: low_confidence).
  std::string algorithm;
  float temperature = 0.2f;  // token temperature; 0: greedy
  float top_p = 0.95f;       // nucleus filter; 1: off
  int top_k = 0;             // keep the k most likely tokens; 0: off
  float alg_temp = 0;        // > 0: draw the committed slots from softmax(confidence / alg_temp)
  float eps = 1e-3f;         // final time of the schedule, in (0, 1)
  // > 0: semi-autoregressive blocks of this many slots (must divide max_new_tokens); 0: one pass;
  // -1: the model's default (0; LLaDA: 32 when it divides max_new_tokens).
  int block_length = -1;
  uint64_t seed = 0;  // every random draw derives from it
  // Parallel commits: each step commits every slot at least this certain (0: off, else in (0, 1]), or by
  // the factor rule (0: off); at least one slot per step, `steps` becomes a cap.
  float threshold = 0;
  float factor = 0;
  bool early_stop = false;  // stop once the answer has ended and nothing before its end is masked
  // Key/value cache, with blocks: "none" (or empty), "prefix", "dual" or "sparse" (`diffucoder generate
  // --help`).
  std::string cache;
  // Products with BF16 weights: "exact" (or empty; fp32 activations) or "fast" (activations rounded to bf16).
  std::string precision;
};

// What a step callback sees after each denoising step. The spans are valid during the call only.
struct Step {
  int step = 0;                        // steps done, 1 .. total_steps
  int total_steps = 0;                 //
  std::span<const int32_t> tokens;     // the generated slots now; Engine::mask_token() where still masked
  std::span<const int32_t> committed;  // indices into `tokens` that this step filled
};

// Return true to go on, false to stop after this step (the slots still masked stay masked).
using StepCallback = std::function<bool(const Step&)>;

struct GenerateResponse {
  std::string text;                    // the answer: the generated text, cut at the model's end marker
  std::vector<int32_t> prompt_tokens;  // the prompt as the model saw it (chat template applied)
  std::vector<int32_t> tokens;         // every generated slot, before the cut
  std::vector<int32_t> answer_tokens;  // the slots that make `text`
  int steps_run = 0;                   // fewer than asked when the callback stopped early
  bool stopped_early = false;
  double seconds = 0;  // wall time of the generation
  std::string json;    // the same record as `diffucoder generate --json` prints, on one line
};

class Engine {
 public:
  // Loads the model folder. Throws diffucoder::Error (e.g. a missing or malformed config.json).
  static Engine load(const std::string& model_dir, const EngineOptions& options = {});

  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  ~Engine();

  // Text to token ids with the model's tokenizer (no template, no BOS/EOS added) and back.
  std::vector<int32_t> tokenize(const std::string& text) const;
  std::string detokenize(std::span<const int32_t> ids) const;
  int32_t mask_token() const;  // the id of a slot not yet decoded

  // Generates one answer. `on_step` (optional) runs after every denoising step. Throws diffucoder::Error
  // for an invalid request (the message names the field) or one that would not fit in memory.
  GenerateResponse generate(const GenerateRequest& request, const StepCallback& on_step = {});

  // The engine's internals, for the diffucoder tools themselves; its definition is not part of this
  // interface.
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace diffucoder
