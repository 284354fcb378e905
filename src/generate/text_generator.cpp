#include "generate/text_generator.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/thread_pool.h"
#include "decode/postprocess.h"
#include "generate/memory_budget.h"
#include "model/chat_format.h"
#include "model/model_files.h"

namespace dc {

TextGenerator::TextGenerator(const std::string& model_dir)
    : model_(std::make_unique<TransformerModel>(model_dir)),
      tokenizer_(std::make_unique<Tokenizer>(load_model_tokenizer(model_dir))) {
  const ModelConfig& cfg = model_->config();
  special_ = resolve_special_tokens(cfg, *tokenizer_, model_dir);
  model_->set_mask_token_id(special_.mask);  // the sampler takes it from the model
  if (tokenizer_->vocab_size() > cfg.vocab_size)
    throw_error("{}: the tokenizer has {} tokens but the model only {} rows (vocab_size in config.json)",
                model_dir, tokenizer_->vocab_size(), cfg.vocab_size);
}

std::string TextGenerator::render_prompt(const TextRequest& req) const {
  if (!req.chat) return req.prompt;
  return chat_prompt(model_->config().arch, req.prompt, req.system) + req.assistant_prefix;
}

std::vector<int32_t> TextGenerator::postprocess(std::span<const int32_t> generated, bool chat) const {
  if (chat && special_.dlm_pad >= 0)
    return postprocess_instruct(generated, special_.dlm_pad, special_.end_of_turn);
  // LLaDA-Instruct ends its turn with <|eot_id|> and fills the rest with <|endoftext|>.
  if (chat && model_->config().arch == Arch::Llada)
    return postprocess_instruct(generated, special_.end_of_text, special_.end_of_turn);
  return postprocess_base(generated, special_.end_of_text);
}

std::vector<int32_t> TextGenerator::end_tokens(std::span<const TextRequest> batch) const {
  // The markers postprocess() cuts at, for a batch whose requests all share the prompt kind; a mixed batch
  // gets the ones both kinds share (the end of text), so that no row is cut where its post-processing
  // would not cut it.
  const bool all_chat = std::all_of(batch.begin(), batch.end(), [](const TextRequest& r) { return r.chat; });
  const bool no_chat = std::none_of(batch.begin(), batch.end(), [](const TextRequest& r) { return r.chat; });
  std::vector<int32_t> out;
  auto add = [&out](int32_t id) {
    if (id >= 0 && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  };
  if (all_chat && !no_chat) {
    add(special_.end_of_turn);
    add(special_.dlm_pad >= 0 ? special_.dlm_pad : special_.end_of_text);
  } else {
    add(special_.end_of_text);
  }
  return out;
}

std::vector<TextResult> TextGenerator::generate(const std::vector<TextRequest>& requests,
                                                const GenerationParams& params, int batch_size,
                                                const StepCallback& on_step,
                                                const std::function<void(size_t, size_t)>& on_batch) {
  if (batch_size < 1) throw_error("batch size must be at least 1, got {}", batch_size);
  std::vector<TextResult> results(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    results[i].prompt_tokens = tokenizer_->encode(render_prompt(requests[i]));
    if (results[i].prompt_tokens.empty())
      throw_error("prompt {} is empty: the model needs at least one prompt token", i + 1);
  }
  if (!params.row_seeds.empty() && params.row_seeds.size() != requests.size())
    throw_error("{} row seeds were given for {} requests", params.row_seeds.size(), requests.size());
  GenerationParams p = params;
  p.pad_token_id = special_.pad >= 0 ? special_.pad : 0;
  for (size_t begin = 0; begin < requests.size(); begin += size_t(batch_size)) {
    const size_t end = std::min(requests.size(), begin + size_t(batch_size));
    std::vector<std::vector<int32_t>> prompts;
    size_t longest = 0;
    for (size_t i = begin; i < end; ++i) {
      prompts.push_back(results[i].prompt_tokens);
      longest = std::max(longest, results[i].prompt_tokens.size());
    }
    // Before the sampler allocates the canvas, caches and logits (prompts are left-padded to the longest).
    check_generation_fits(model_->config(), int64_t(prompts.size()), int64_t(longest), p.max_new_tokens, p,
                          global_pool().size());
    p.end_tokens = end_tokens(std::span(requests).subspan(begin, end - begin));
    if (!params.row_seeds.empty())
      p.row_seeds.assign(params.row_seeds.begin() + ptrdiff_t(begin),
                         params.row_seeds.begin() + ptrdiff_t(end));
    model_->set_precision(p.precision);
    GenerationResult g = dc::generate(*model_, prompts, p, on_step);
    for (size_t i = begin; i < end; ++i) {
      TextResult& r = results[i];
      const size_t b = i - begin;
      r.tokens = g.tokens[b];
      r.order = g.order[b];
      r.answer_tokens = postprocess(r.tokens, requests[i].chat);
      r.text = tokenizer_->decode(r.answer_tokens);
      r.stats = g.stats;
      r.batch_size = int64_t(end - begin);
      r.temperature = params.temperature;
      r.alg = params.alg;
      r.block_length = params.block_length;
      r.threshold = params.threshold;
      r.factor = params.factor;
      r.early_stop = params.early_stop;
      r.cache = params.cache;
      r.precision = params.precision;
    }
    if (on_batch) on_batch(end, requests.size());
  }
  return results;
}

std::string text_result_json(const TextResult& r) {
  nlohmann::ordered_json j;
  j["prompt_tokens"] = r.prompt_tokens;
  j["tokens"] = r.tokens;
  j["text"] = r.text;
  nlohmann::ordered_json order = nlohmann::ordered_json::array();
  for (const Commit& c : r.order) order.push_back({c.step, c.position, c.token});
  j["order"] = std::move(order);
  const double secs = r.stats.seconds;
  j["stats"] = {
      {"steps", r.stats.steps},
      // The shortest decimal that reads back as the float (0.6, not 0.6000000238418579).
      {"temperature", std::stod(fmt::format("{}", r.temperature))},
      {"alg", std::string(alg_name(r.alg))},
      {"block_length", r.block_length},
      {"seconds", secs},
      // Response tokens only: this prompt's generated slots over the wall time of its batch.
      {"tokens_per_second", secs > 0 ? double(r.tokens.size()) / secs : 0.0},
      {"answer_tokens", r.answer_tokens.size()},
      {"answer_tokens_per_second", secs > 0 ? double(r.answer_tokens.size()) / secs : 0.0},
      {"threshold", std::stod(fmt::format("{}", r.threshold))},
      {"factor", std::stod(fmt::format("{}", r.factor))},
      {"early_stop", r.early_stop},
      {"cache", std::string(cache_name(r.cache))},
      {"precision", std::string(precision_name(r.precision))},
      {"model_calls", r.stats.model_calls},
      {"refresh_calls", r.stats.refresh_calls},
      {"refresh_rows", r.stats.refresh_rows},
      {"window_rows", r.stats.window_rows},
      {"batch_size", r.batch_size},
      {"batch_tokens_per_second", r.stats.tokens_per_second},
  };
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace dc
