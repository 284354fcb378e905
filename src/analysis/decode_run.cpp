// Decoding for the analysis: dc::generate with one token per step, plus the first-step confidences
// (decode_run.h).
#include "analysis/decode_run.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "core/error.h"
#include "core/rng.h"
#include "decode/sampler.h"
#include "decode/token_choice.h"

namespace dc::analysis {

std::vector<double> first_step_confidence(Denoiser& model, std::span<const int32_t> prompt,
                                          const GenerationParams& params) {
  validate(params);
  if (prompt.empty())
    throw_error("analyze: empty prompt (the first generated position needs one token before it)");
  const int64_t P = int64_t(prompt.size());
  const int64_t L = params.max_new_tokens;
  const int64_t N = P + L;
  const int64_t V = model.vocab_size();
  // canvas (N): prompt + [mask] * L
  std::vector<int32_t> canvas(prompt.begin(), prompt.end());
  canvas.resize(size_t(N), model.mask_token_id());
  std::vector<PredictionRef> wanted(static_cast<size_t>(L));
  for (int64_t i = 0; i < L; ++i) wanted[size_t(i)] = {0, int32_t(P + i)};
  std::vector<float> logits(size_t(L * V));  // (L, V)
  CanvasBatch batch;
  batch.batch = 1;
  batch.length = N;
  batch.tokens = canvas;
  if (L > 0) model.predict(batch, wanted, logits.data());

  const LogitFilter filter{params.temperature, params.top_p, params.top_k};
  ChoiceScratch scratch;
  Rng rng(params.seed);
  std::vector<double> conf(static_cast<size_t>(L));
  for (int64_t i = 0; i < L; ++i) {
    const double u_token = rng.uniform_double();
    const float u_random = rng.uniform();
    const std::span<float> row(logits.data() + i * V, size_t(V));
    conf[size_t(i)] = choose_token(row, params.alg, filter, u_token, u_random, scratch).confidence;
  }
  return conf;
}

std::vector<Sample> decode_samples(Denoiser& model, const std::vector<std::vector<int32_t>>& prompts,
                                   const GenerationParams& params, int batch_size,
                                   const std::function<void(size_t, size_t)>& progress) {
  if (batch_size < 1) throw_error("analyze: batch size must be at least 1, got {}", batch_size);
  GenerationParams p = params;
  p.steps = std::max(p.max_new_tokens, 1);  // one token per step
  p.keep_history = false;
  validate(p);
  std::vector<Sample> samples;
  for (size_t begin = 0; begin < prompts.size(); begin += size_t(batch_size)) {
    const size_t end = std::min(prompts.size(), begin + size_t(batch_size));
    const std::vector<std::vector<int32_t>> batch(prompts.begin() + long(begin), prompts.begin() + long(end));
    GenerationParams bp = p;
    bp.seed = p.seed + begin;
    // The sampler's own confidences at its first model call: (b, L), NaN where not scored.
    const int64_t L = p.max_new_tokens;
    std::vector<std::vector<double>> first(batch.size(), std::vector<double>(size_t(L), std::nan("")));
    bool seen = false;
    auto on_step = [&](const StepEvent& ev) {
      if (seen || ev.scored.empty()) return;
      seen = true;
      for (size_t r = 0; r < ev.scored.size(); ++r) {
        const int64_t i = ev.scored[r].position - ev.prompt_length;
        if (i >= 0 && i < L) first[size_t(ev.scored[r].row)][size_t(i)] = ev.confidence[r];
      }
    };
    const GenerationResult r = generate(model, batch, bp, on_step);
    for (size_t b = 0; b < batch.size(); ++b) {
      Sample s;
      s.order.prompt_length = int64_t(batch[b].size());
      s.order.generated_length = p.max_new_tokens;
      for (const dc::Commit& c : r.order[b]) {
        // Masks inside a prompt (negative positions) are not part of the generation; a commit of the mask
        // token itself leaves its position masked (it is chosen again later, or never decoded).
        if (c.position >= 0 && c.token != model.mask_token_id())
          s.order.commits.push_back({c.step, c.position});
      }
      const bool complete =
          std::none_of(first[b].begin(), first[b].end(), [](double c) { return std::isnan(c); });
      if (complete) {
        s.first_step_confidence = std::move(first[b]);
      } else {  // the first call did not score every position (blocks): a separate all-masked forward
        GenerationParams fp = p;
        fp.seed = p.seed + begin + b;
        s.first_step_confidence = first_step_confidence(model, batch[b], fp);
      }
      samples.push_back(std::move(s));
    }
    if (progress) progress(end, prompts.size());
  }
  return samples;
}

std::vector<RunSummary> analyze_temperatures(
    Denoiser& model, const std::vector<std::vector<int32_t>>& prompts, const GenerationParams& params,
    const std::vector<float>& temperatures, int batch_size, int max_local_k, int max_global_k,
    std::vector<std::vector<Sample>>* samples_out,
    const std::function<void(const std::string&, size_t, size_t)>& progress) {
  if (prompts.empty()) throw_error("analyze: no prompts to decode");
  if (temperatures.empty()) throw_error("analyze: no temperature given");
  std::vector<RunSummary> runs;
  for (float t : temperatures) {
    GenerationParams p = params;
    p.temperature = t;
    const std::string label = fmt::format("T={}", t);
    std::function<void(size_t, size_t)> step;
    if (progress) step = [&](size_t done, size_t total) { progress(label, done, total); };
    std::vector<Sample> samples = decode_samples(model, prompts, p, batch_size, step);
    // The temperature as typed (0.2, not the float's 0.20000000298...), for labels and saved files.
    const double typed = std::stod(fmt::format("{}", t));
    runs.push_back(summarize(label, typed, samples, max_local_k, max_global_k));
    if (samples_out) samples_out->push_back(std::move(samples));
  }
  return runs;
}

}  // namespace dc::analysis
