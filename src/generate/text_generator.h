// Text in, text out: the generation pipeline shared by `diffucoder generate`, `eval --model` and
// `analyze --model`. It owns a model folder's network and tokenizer, builds the prompt (plain completion or
// the DiffuCoder instruct format of SPEC §2), runs the diffusion sampler (src/decode/) on batches of
// prompts, and cuts each completion to its answer (post-processing, SPEC §2). Nothing here prints.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "decode/params.h"
#include "decode/sampler.h"
#include "model/special_tokens.h"
#include "model/transformer_model.h"
#include "tokenizer/tokenizer.h"

namespace dc {

// One prompt. With `chat`, `prompt` is the user's message and is wrapped in the instruct template with
// `system` (default "You are a helpful assistant."); `assistant_prefix` is appended after the assistant
// header (the evaluation prompts pre-fill it). Without `chat`, `prompt` is completed as plain text.
struct TextRequest {
  std::string prompt;
  bool chat = false;
  std::string system;  // empty: the model's default (Dream: "You are a helpful assistant."; LLaDA: none)
  std::string assistant_prefix;
};

struct TextResult {
  std::vector<int32_t> prompt_tokens;  // the encoded prompt (after the template)
  std::vector<int32_t> tokens;         // the L generated slots, before post-processing
  std::vector<int32_t> answer_tokens;  // after post-processing (cut at the end marker)
  std::string text;                    // decode(answer_tokens)
  std::vector<Commit> order;           // every commit: step, position from the first generated slot, token
  GenerationStats stats;               // of the batch this request ran in
  int64_t batch_size = 1;              // prompts decoded together with this one
  float temperature = 0;               // the token temperature it was sampled at
  Alg alg = Alg::Entropy;              // the remasking rule it was decoded with
  int block_length = 0;                // its semi-AR block length (0: one pass)
  float threshold = 0;                 // its parallel-commit rule (0: off)
  float factor = 0;                    //
  bool early_stop = false;             // whether the run stopped once the answer had ended
  CacheMode cache = CacheMode::None;   // its key/value cache
  kernels::Precision precision = kernels::Precision::Exact;  // its products with BF16 weights
};

class TextGenerator {
 public:
  // Loads the model folder (config.json, safetensors, tokenizer files). Throws dc::Error.
  explicit TextGenerator(const std::string& model_dir);

  const Tokenizer& tokenizer() const { return *tokenizer_; }
  TransformerModel& model() { return *model_; }
  const SpecialTokens& special() const { return special_; }

  // The prompt string given to the tokenizer for `req` (template applied).
  std::string render_prompt(const TextRequest& req) const;

  // The tokens that end an answer for a batch of requests (early stop and answer counts): the chat turn's
  // end and fill for chat requests, the end of text otherwise.
  std::vector<int32_t> end_tokens(std::span<const TextRequest> batch) const;

  // Generates for every request, `batch_size` prompts at a time (left-padded together); params.row_seeds,
  // when given, holds one entry per request. `on_step` sees every
  // step of every batch (its rows are that batch's); `on_batch(done, total)` runs after each batch.
  std::vector<TextResult> generate(const std::vector<TextRequest>& requests, const GenerationParams& params,
                                   int batch_size = 1, const StepCallback& on_step = {},
                                   const std::function<void(size_t, size_t)>& on_batch = {});

  // Post-processing: instruct checkpoints (chat requests when the vocabulary has <|dlm_pad|>) cut at the
  // first <|dlm_pad|> and the first <|im_end|>; otherwise cut at the first <|endoftext|>.
  std::vector<int32_t> postprocess(std::span<const int32_t> generated, bool chat) const;

 private:
  std::unique_ptr<TransformerModel> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  SpecialTokens special_;
};

// One JSON object (a single line) describing a result, the `generate --json` format:
// {"prompt_tokens", "tokens", "text", "order": [[step, position, token], ...], "stats": {...}}.
std::string text_result_json(const TextResult& r);

}  // namespace dc
