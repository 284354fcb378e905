// The shared generation flags (see generation_flags.h).
#include "generation_flags.h"

namespace dc::cli {

GenerationParams GenerationFlags::resolve(Arch arch) const {
  GenerationParams p = params;
  p.alg = parse_alg(alg);
  p.cache = parse_cache(cache);
  p.precision = parse_precision(precision);
  if (arch != Arch::Dream) {
    const ArchTraits& t = arch_traits(arch);
    if (!alg_flag || alg_flag->count() == 0) p.alg = parse_alg(t.default_alg);
    if (!block_flag || block_flag->count() == 0)
      p.block_length = default_block_length(arch, p.max_new_tokens);
  }
  if (!steps || steps->count() == 0) p.steps = p.max_new_tokens;
  validate(p);
  return p;
}

void add_generation_flags(CLI::App* sub, GenerationFlags& g, const GenerationFlagSet& which) {
  GenerationParams& p = g.params;
  sub->add_option("--max-new-tokens", p.max_new_tokens, "Generated slots")->capture_default_str();
  if (!which.steps_flag.empty())
    g.steps = sub->add_option(which.steps_flag, p.steps, "Denoising steps (default: max-new-tokens)");
  g.alg_flag =
      sub->add_option("--alg", g.alg,
                      "Remasking rule: origin|maskgit_plus|topk_margin|entropy|low_confidence|random "
                      "(LLaDA models: low_confidence unless given)")
          ->capture_default_str();
  sub->add_option("--alg-temp", p.alg_temp, "Position sampling temperature (0: the most confident first)")
      ->capture_default_str();
  if (which.temperature)
    sub->add_option("--temperature", p.temperature, "Token temperature (0: greedy)")->capture_default_str();
  sub->add_option("--top-p", p.top_p, "Nucleus filter (1: off)")->capture_default_str();
  sub->add_option("--top-k", p.top_k, "Top-k filter (0: off)")->capture_default_str();
  g.block_flag = sub->add_option("--block-length", p.block_length,
                                 "Semi-autoregressive block length (0: off; LLaDA models: 32 unless given)")
                     ->capture_default_str();
  sub->add_option("--eps", p.eps, "Final time of the schedule")->capture_default_str();
  if (which.fast) {
    sub->add_option("--precision", g.precision,
                    "Products with BF16 weights: exact (fp32 activations against the widened weights, the "
                    "result of an fp32 model) or fast (activations rounded to bf16, vdpbf16ps on CPUs with "
                    "AVX512-BF16: about twice the speed, logits moved by about 1e-2 relative)")
        ->capture_default_str();
    sub->add_flag("--early-stop", p.early_stop,
                  "Stop once the answer has ended (end token, or the chat turn's end) with nothing masked "
                  "before it; the rest is filled with the end token");
  }
  if (which.cache) {
    sub->add_option("--cache", g.cache,
                    "Key/value cache with --block-length: none|prefix|dual|sparse (prefix: a refresh at "
                    "each block's start, then the block and what follows it; dual: the block alone; sparse: "
                    "only the rows that predict the block's masks and last step's commits)")
        ->capture_default_str();
  }
  if (which.parallel) {
    sub->add_option(
           "--threshold", p.threshold,
           "Parallel commits: each step commits every slot at least this certain, in (0, 1] (p(token); "
           "exp(-entropy) for entropy), at least one; the step count becomes a cap (0: off)")
        ->capture_default_str();
    sub->add_option(
           "--factor", p.factor,
           "Parallel commits by the factor rule: the n most certain with c_j >= 1 - F/(j+1) (0: off)")
        ->capture_default_str();
  }
  if (which.seed) sub->add_option("--seed", p.seed, which.seed_help)->capture_default_str();
}

}  // namespace dc::cli
