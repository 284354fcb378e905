// The public engine (diffucoder/diffucoder.h) over dc::TextGenerator: requests become GenerationParams, the
// public step callback rides on the sampler's step hook, dc::Error becomes diffucoder::Error.
#include <utility>

#include "api/engine_impl.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "decode/params.h"
#include "model/architecture.h"

namespace diffucoder {
namespace {

// Runs fn, rethrowing a dc::Error as a diffucoder::Error with the same one-line message.
template <typename Fn>
auto translating_errors(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const dc::Error& e) {
    throw Error(e.what());
  }
}

dc::GenerationParams to_params(const GenerateRequest& r, dc::Arch arch) {
  dc::GenerationParams p;
  p.max_new_tokens = r.max_new_tokens;
  p.steps = r.steps == 0 ? r.max_new_tokens : r.steps;
  p.alg = dc::parse_alg(r.algorithm.empty() ? dc::arch_traits(arch).default_alg : r.algorithm);
  p.temperature = r.temperature;
  p.top_p = r.top_p;
  p.top_k = r.top_k;
  p.alg_temp = r.alg_temp;
  p.eps = r.eps;
  p.block_length = r.block_length < 0 ? dc::default_block_length(arch, r.max_new_tokens) : r.block_length;
  p.seed = r.seed;
  p.threshold = r.threshold;
  p.factor = r.factor;
  p.early_stop = r.early_stop;
  p.cache = dc::parse_cache(r.cache.empty() ? "none" : r.cache);
  p.precision = dc::parse_precision(r.precision.empty() ? "exact" : r.precision);
  dc::validate(p);
  return p;
}

// The sampler's hook for one request (batch row 0): the generated slots, this step's fresh ones.
dc::StepCallback step_hook(const StepCallback& on_step) {
  if (!on_step) return {};
  return [&on_step](const dc::StepEvent& ev) {
    std::vector<int32_t> committed;
    for (const dc::CommitRef& c : ev.committed)
      if (c.row == 0 && c.position >= ev.prompt_length)
        committed.push_back(int32_t(c.position - ev.prompt_length));
    Step s;
    s.step = ev.step + 1;
    s.total_steps = ev.steps;
    s.tokens = ev.canvas.subspan(size_t(ev.prompt_length), size_t(ev.length - ev.prompt_length));
    s.committed = committed;
    if (!on_step(s)) ev.request_stop();
  };
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

Engine Engine::load(const std::string& model_dir, const EngineOptions& options) {
  return translating_errors([&] {
    if (options.threads < 0) dc::throw_error("threads must be 0 or more, got {}", options.threads);
    if (options.threads > 0) dc::set_num_threads(options.threads);
    return Engine(std::make_unique<Impl>(model_dir));
  });
}

std::vector<int32_t> Engine::tokenize(const std::string& text) const {
  return translating_errors([&] { return impl_->generator.tokenizer().encode(text); });
}

std::string Engine::detokenize(std::span<const int32_t> ids) const {
  return translating_errors([&] { return impl_->generator.tokenizer().decode(ids); });
}

int32_t Engine::mask_token() const {
  return impl_->generator.special().mask;
}

GenerateResponse Engine::generate(const GenerateRequest& request, const StepCallback& on_step) {
  return translating_errors([&] {
    const dc::GenerationParams params = to_params(request, impl_->generator.model().config().arch);
    dc::TextRequest tr;
    tr.prompt = request.prompt;
    tr.chat = request.chat;
    tr.system = request.system;
    dc::TextResult r = std::move(impl_->generator.generate({tr}, params, 1, step_hook(on_step)).front());
    GenerateResponse out;
    out.json = dc::text_result_json(r);
    out.text = std::move(r.text);
    out.prompt_tokens = std::move(r.prompt_tokens);
    out.tokens = std::move(r.tokens);
    out.answer_tokens = std::move(r.answer_tokens);
    out.steps_run = r.stats.steps;
    out.stopped_early = r.stats.stopped_early;
    out.seconds = r.stats.seconds;
    return out;
  });
}

}  // namespace diffucoder
