#include "decode/sampler.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "core/error.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "decode/schedule.h"
#include "decode/select.h"
#include "decode/token_choice.h"

namespace dc {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The state of one generate() call: the canvas, one random stream per row, and the running result.
class Sampler {
 public:
  Sampler(Denoiser& model, const std::vector<std::vector<int32_t>>& prompts, const GenerationParams& params,
          const StepCallback& on_step)
      : model_(model), params_(params), on_step_(on_step) {
    V_ = model.vocab_size();
    mask_ = model.mask_token_id();
    B_ = int64_t(prompts.size());
    P_ = 0;
    for (const auto& p : prompts) P_ = std::max<int64_t>(P_, int64_t(p.size()));
    L_ = params.max_new_tokens;
    N_ = P_ + L_;
    // (B, N) canvas: left padding, prompt, L masks.
    tokens_.assign(size_t(B_ * N_), params.pad_token_id);
    valid_.assign(size_t(B_ * N_), 1);
    for (int64_t b = 0; b < B_; ++b) {
      const int64_t pad = P_ - int64_t(prompts[size_t(b)].size());
      for (int64_t i = 0; i < pad; ++i) valid_[size_t(b * N_ + i)] = 0;
      std::copy(prompts[size_t(b)].begin(), prompts[size_t(b)].end(), tokens_.begin() + b * N_ + pad);
      std::fill(tokens_.begin() + b * N_ + P_, tokens_.begin() + (b + 1) * N_, mask_);
    }
    const Rng root(params.seed);
    for (int64_t b = 0; b < B_; ++b) {
      if (params.row_seeds.empty()) {
        rngs_.push_back(root.fork(uint64_t(b)));
      } else {
        const GenerationParams::RowSeed& rs = params.row_seeds[size_t(b)];
        rngs_.push_back(Rng(rs.seed).fork(rs.stream));
      }
    }
    filter_ = LogitFilter{params.temperature, params.top_p, params.top_k};
    parallel_ = params.threshold > 0 || params.factor > 0;
    early_stop_ = params.early_stop;
    finished_.assign(size_t(B_), 0);
    prompt_stored_.assign(size_t(B_), 0);
    scratch_.resize(size_t(global_pool().size()));
    order_.resize(size_t(B_));
  }

  void run() {
    if (L_ == 0) return;
    if (params_.block_length > 0) {
      run_blocks();
    } else {
      run_dream();
    }
  }

  GenerationResult take_result() {
    GenerationResult r;
    r.batch = B_;
    r.length = N_;
    r.prompt_length = P_;
    r.tokens.resize(size_t(B_));
    for (int64_t b = 0; b < B_; ++b)
      r.tokens[size_t(b)].assign(tokens_.begin() + b * N_ + P_, tokens_.begin() + (b + 1) * N_);
    r.canvas = std::move(tokens_);
    r.order = std::move(order_);
    r.history = std::move(history_);
    r.stats = stats_;
    return r;
  }

  GenerationStats& stats() { return stats_; }
  bool stopped() const { return stop_; }
  int steps_run() const { return steps_run_; }

 private:
  // Masked positions of row b below `end` (canvas coordinates), in order.
  std::vector<int32_t> masked_positions(int64_t b, int64_t end) const {
    std::vector<int32_t> out;
    for (int64_t i = 0; i < end; ++i) {
      const size_t at = size_t(b * N_ + i);
      if (valid_[at] && tokens_[at] == mask_) out.push_back(int32_t(i));
    }
    return out;
  }

  // k[b] values besides counts: commit by the parallel rule, or everything left.
  static constexpr int64_t kByRule = -1;
  static constexpr int64_t kAll = std::numeric_limits<int64_t>::max();

  // Dream: one time grid over all steps; every row commits the same k, from the batch's mean mask count.
  // With a parallel rule each step commits by it and the last step everything left; the run ends early
  // once nothing is masked (parallel commits, early stop).
  void run_dream() {
    const int steps = params_.steps;
    const std::vector<float> grid = time_grid(steps, params_.eps);
    for (int i = 0; i < steps && !stop_; ++i) {
      std::vector<std::vector<int32_t>> candidates(static_cast<size_t>(B_));
      int64_t total = 0;
      for (int64_t b = 0; b < B_; ++b) {
        candidates[size_t(b)] = masked_positions(b, N_);
        total += int64_t(candidates[size_t(b)].size());
      }
      if (total == 0) break;
      if (params_.alg == Alg::Origin) {
        step(i, candidates, {}, origin_reveal_probability(grid, i));
      } else if (parallel_) {
        step(i, candidates, std::vector<int64_t>(size_t(B_), i == steps - 1 ? kAll : kByRule), 0);
      } else {
        const int64_t k = dream_transfer_count(total, B_, grid, i);
        step(i, candidates, std::vector<int64_t>(size_t(B_), k), 0);
      }
    }
  }

  // LLaDA semi-autoregressive blocks: steps / blocks steps per block, masks // steps per step with the
  // remainder to the first steps (per row), positions after the block are not candidates.
  void run_blocks() {
    const int64_t blocks = L_ / params_.block_length;
    const int per_block = int(params_.steps / blocks);
    const std::vector<float> grid = time_grid(per_block, params_.eps);
    int g = 0;
    for (int64_t blk = 0; blk < blocks && !stop_; ++blk) {
      const int64_t begin = P_ + blk * params_.block_length;
      const int64_t end = begin + params_.block_length;
      block_begin_ = begin;
      block_end_ = end;
      need_refresh_ = true;  // a cache's first model call in a block is a full pass
      std::vector<std::vector<int64_t>> schedule(static_cast<size_t>(B_));
      for (int64_t b = 0; b < B_; ++b) {
        int64_t n = 0;
        for (int64_t i = begin; i < end; ++i) n += tokens_[size_t(b * N_ + i)] == mask_;
        schedule[size_t(b)] = block_schedule(n, per_block);
      }
      for (int j = 0; j < per_block && !stop_; ++j, ++g) {
        std::vector<std::vector<int32_t>> candidates(static_cast<size_t>(B_));
        std::vector<int64_t> k(static_cast<size_t>(B_));
        int64_t total = 0;
        for (int64_t b = 0; b < B_; ++b) {
          candidates[size_t(b)] = masked_positions(b, end);
          total += int64_t(candidates[size_t(b)].size());
          k[size_t(b)] = parallel_ ? (j == per_block - 1 ? kAll : kByRule) : schedule[size_t(b)][size_t(j)];
        }
        if (total == 0 && (parallel_ || early_stop_)) break;  // the block is full: on to the next one
        if (params_.alg == Alg::Origin) {
          step(g, candidates, {}, origin_reveal_probability(grid, j));
        } else {
          step(g, candidates, k, 0);
        }
      }
    }
  }

  // One denoising step. candidates[b]: row b's masked positions that may be committed. k[b]: how many
  // to commit (empty for origin, which reveals each candidate with probability p_reveal instead).
  void step(int g, const std::vector<std::vector<int32_t>>& candidates, const std::vector<int64_t>& k,
            float p_reveal) {
    const bool origin = params_.alg == Alg::Origin;
    // 1. The positions to predict, by row then position; row_begin[b] indexes `wanted`.
    std::vector<PredictionRef> wanted;
    std::vector<size_t> row_begin(static_cast<size_t>(B_) + 1, 0);
    for (int64_t b = 0; b < B_; ++b) {
      row_begin[size_t(b)] = wanted.size();
      for (int32_t pos : candidates[size_t(b)]) {
        bool take = true;
        if (origin) {
          take = rngs_[size_t(b)].uniform() < p_reveal;
        } else {
          take = k[size_t(b)] != 0;
        }
        if (take) wanted.push_back(PredictionRef{int32_t(b), pos});
      }
    }
    row_begin[size_t(B_)] = wanted.size();

    std::vector<CommitRef> committed;
    std::vector<float> confidence(wanted.size());  // (R) for the step hook
    if (!wanted.empty()) {
      // 2. Random numbers in a fixed order, before any parallel work.
      const size_t R = wanted.size();
      std::vector<double> u_token(R, 0.0);
      std::vector<float> u_random(R, 0.0f);
      for (size_t r = 0; r < R; ++r) {
        Rng& rng = rngs_[size_t(wanted[r].row)];
        if (params_.temperature > 0) u_token[r] = rng.uniform_double();
        if (params_.alg == Alg::Random) u_random[r] = rng.uniform();
      }
      // 3. (R, V) logits for the wanted positions.
      logits_.resize(R * size_t(V_));
      const auto t0 = Clock::now();
      predict_rows(wanted, candidates);
      stats_.model_seconds += seconds_since(t0);
      stats_.model_calls += 1;
      stats_.predicted_positions += int64_t(R);
      // 4. Token and confidence per position, in parallel (pure functions of their inputs).
      std::vector<TokenChoice> choice(R);
      global_pool().parallel_for(
          int64_t(R),
          [&](int64_t r0, int64_t r1, int thread) {
            ChoiceScratch& scratch = scratch_[size_t(thread)];
            for (int64_t r = r0; r < r1; ++r) {
              std::span<float> row(logits_.data() + r * V_, size_t(V_));
              choice[size_t(r)] =
                  choose_token(row, params_.alg, filter_, u_token[size_t(r)], u_random[size_t(r)], scratch);
            }
          },
          1);
      for (size_t r = 0; r < R; ++r) confidence[r] = choice[r].confidence;
      // 5. Which positions each row commits.
      for (int64_t b = 0; b < B_; ++b) {
        const size_t r0 = row_begin[size_t(b)], r1 = row_begin[size_t(b) + 1];
        std::vector<int32_t> picked;
        if (origin) {
          for (size_t r = r0; r < r1; ++r) picked.push_back(int32_t(r - r0));
        } else {
          const std::span<const float> conf(confidence.data() + r0, r1 - r0);
          if (k[size_t(b)] == kByRule) {
            std::vector<float> sure(conf.size());
            for (size_t j = 0; j < conf.size(); ++j) sure[j] = certainty(params_.alg, conf[j]);
            picked = select_confident(sure, params_.threshold, params_.factor);
          } else {
            picked = params_.alg_temp > 0
                         ? select_sampled(conf, k[size_t(b)], params_.alg_temp, rngs_[size_t(b)])
                         : select_top_k(conf, k[size_t(b)]);
          }
        }
        for (int32_t j : picked) {
          const PredictionRef& w = wanted[r0 + size_t(j)];
          const int32_t token = choice[r0 + size_t(j)].token;
          tokens_[size_t(b * N_ + w.position)] = token;
          committed.push_back(CommitRef{int32_t(b), w.position, token});
          order_[size_t(b)].push_back(Commit{g, int32_t(w.position - P_), token});
        }
      }
    }
    stale_.clear();
    for (const CommitRef& c : committed) stale_.push_back(PredictionRef{c.row, c.position});
    if (early_stop_) finish_ended_rows(g, committed);
    // 6. History and hook.
    ++steps_run_;
    if (params_.keep_history) history_.push_back(tokens_);
    if (on_step_) {
      StepEvent ev;
      ev.step = g;
      ev.steps = params_.steps;
      ev.batch = B_;
      ev.length = N_;
      ev.prompt_length = P_;
      ev.canvas = tokens_;
      ev.valid = valid_;
      ev.committed = committed;
      ev.scored = wanted;
      ev.confidence = confidence;
      ev.stop = &stop_;
      on_step_(ev);
    }
  }

  // The model call for `wanted` (grouped by row, rows ascending). Rows with nothing wanted this step (ended
  // by early stop, or whose block is full) are left out of the batch: a canvas's logits depend on its own
  // tokens only, so the others' logits do not change, and the call costs what the active rows cost. With a
  // cache, a refresh also takes the rows that want nothing this step but still hold candidates (their
  // later window calls read what it stores); each row keeps cache slot b.
  void predict_rows(const std::vector<PredictionRef>& wanted,
                    const std::vector<std::vector<int32_t>>& candidates) {
    const bool cached = params_.cache != CacheMode::None, refresh = cached && need_refresh_;
    const int64_t rows_before = model_.query_rows();
    std::vector<uint8_t> in_call(static_cast<size_t>(B_), 0);
    for (const PredictionRef& w : wanted) in_call[size_t(w.row)] = 1;
    if (refresh)
      for (int64_t b = 0; b < B_; ++b) in_call[size_t(b)] |= !candidates[size_t(b)].empty();
    std::vector<int32_t> compact(static_cast<size_t>(B_), -1);  // batch row -> row of the call
    call_rows_.clear();                                         // row of the call -> batch row
    for (int64_t b = 0; b < B_; ++b) {
      if (!in_call[size_t(b)]) continue;
      compact[size_t(b)] = int32_t(call_rows_.size());
      call_rows_.push_back(int32_t(b));
    }
    const int64_t active = int64_t(call_rows_.size());
    CanvasBatch batch{B_, N_, tokens_, valid_};
    std::vector<PredictionRef> remapped = wanted;
    if (active < B_) {
      active_tokens_.resize(size_t(active * N_));
      active_valid_.resize(size_t(active * N_));
      for (int64_t c = 0; c < active; ++c) {
        const int64_t b = call_rows_[size_t(c)];
        std::copy_n(tokens_.begin() + b * N_, N_, active_tokens_.begin() + c * N_);
        std::copy_n(valid_.begin() + b * N_, N_, active_valid_.begin() + c * N_);
      }
      for (PredictionRef& w : remapped) w.row = compact[size_t(w.row)];
      batch = CanvasBatch{active, N_, active_tokens_, active_valid_};
    }
    if (!cached) {
      model_.predict(batch, remapped, logits_.data());
      stats_.window_rows += model_.query_rows() - rows_before;
      return;
    }
    // The window: the block (and, for a prefix cache, everything after it), widened to any mask still
    // left in the prompt.
    CacheWindow window;
    window.refresh = refresh;
    window.begin = block_begin_;
    for (const PredictionRef& w : wanted) window.begin = std::min<int64_t>(window.begin, w.position);
    window.end = params_.cache == CacheMode::Prefix ? N_ : block_end_;
    window.cache_batch = B_;
    window.cache_rows = call_rows_;
    // A refresh keeps the prompt's keys/values once every slot of the call has them; a sparse cache's
    // refresh also keeps the earlier blocks' (each computed the step after its commit).
    bool prompt_stored = true;
    for (int32_t b : call_rows_) prompt_stored = prompt_stored && prompt_stored_[size_t(b)];
    if (refresh && prompt_stored)
      window.refresh_from =
          std::min<int64_t>(window.begin, params_.cache == CacheMode::Sparse ? block_begin_ : P_);
    // Sparse: last step's commits of the call's rows, whose stored keys/values still hold the mask.
    std::vector<PredictionRef> stale;
    if (params_.cache == CacheMode::Sparse && !refresh) {
      window.sparse = true;
      for (const PredictionRef& c : stale_)
        if (compact[size_t(c.row)] >= 0) stale.push_back(PredictionRef{compact[size_t(c.row)], c.position});
      window.stale = stale;
    }
    model_.predict_cached(batch, window, remapped, logits_.data());
    (refresh ? stats_.refresh_rows : stats_.window_rows) += model_.query_rows() - rows_before;
    if (refresh) {
      need_refresh_ = false;
      stats_.refresh_calls += 1;
      for (int32_t b : call_rows_) prompt_stored_[size_t(b)] = 1;
    }
  }

  bool is_end_token(int32_t token) const {
    return std::find(params_.end_tokens.begin(), params_.end_tokens.end(), token) != params_.end_tokens.end();
  }

  // Early stop: a row whose generated tokens hold an end token with no mask before it is finished; its
  // masks after the end token are filled with it (commits of step g, like any other).
  void finish_ended_rows(int g, std::vector<CommitRef>& committed) {
    for (int64_t b = 0; b < B_; ++b) {
      if (finished_[size_t(b)]) continue;
      int64_t end = -1;
      for (int64_t i = P_; i < N_; ++i) {
        const int32_t t = tokens_[size_t(b * N_ + i)];
        if (t == mask_) break;
        if (is_end_token(t)) {
          end = i;
          break;
        }
      }
      if (end < 0) continue;
      finished_[size_t(b)] = 1;
      const int32_t fill = tokens_[size_t(b * N_ + end)];
      for (int64_t i = end + 1; i < N_; ++i) {
        int32_t& t = tokens_[size_t(b * N_ + i)];
        if (t != mask_) continue;
        t = fill;
        committed.push_back(CommitRef{int32_t(b), int32_t(i), fill});
        order_[size_t(b)].push_back(Commit{g, int32_t(i - P_), fill});
      }
    }
  }

  Denoiser& model_;
  const GenerationParams& params_;
  const StepCallback& on_step_;
  int64_t V_ = 0, B_ = 0, P_ = 0, L_ = 0, N_ = 0;
  int32_t mask_ = 0;
  std::vector<int32_t> tokens_;  // (B, N)
  std::vector<uint8_t> valid_;   // (B, N)
  std::vector<Rng> rngs_;        // (B,)
  LogitFilter filter_;
  std::vector<ChoiceScratch> scratch_;       // one per pool thread
  std::vector<float> logits_;                // (R, V) for the current step
  std::vector<int32_t> active_tokens_;       // (A, N) the rows of a step's model call when not all take part
  std::vector<uint8_t> active_valid_;        // (A, N)
  std::vector<int32_t> call_rows_;           // (A) the batch row of each row of the model call
  int64_t block_begin_ = 0, block_end_ = 0;  // canvas positions of the current block
  bool need_refresh_ = false;                // a cache's next model call must be a refresh
  std::vector<uint8_t> prompt_stored_;       // (B,) 1 once a refresh stored the row's prompt keys/values
  std::vector<PredictionRef> stale_;         // the last step's commits (batch rows)
  std::vector<std::vector<Commit>> order_;
  std::vector<std::vector<int32_t>> history_;
  GenerationStats stats_;
  bool parallel_ = false;          // threshold or factor rule
  bool early_stop_ = false;        // params.early_stop
  std::vector<uint8_t> finished_;  // (B,) rows ended by early stop
  bool stop_ = false;              // set through StepEvent::request_stop()
  int steps_run_ = 0;
};

void check_prompts(const Denoiser& model, const std::vector<std::vector<int32_t>>& prompts) {
  if (prompts.empty()) throw_error("generate: no prompts given");
  const int64_t V = model.vocab_size();
  const int32_t mask = model.mask_token_id();
  for (size_t b = 0; b < prompts.size(); ++b) {
    const auto& p = prompts[b];
    if (p.empty()) throw_error("prompt {}: empty (a prompt needs at least one token)", b);
    if (p[0] == mask)
      throw_error("prompt {}: starts with the mask token {} (position 0 cannot be predicted)", b, mask);
    for (size_t i = 0; i < p.size(); ++i) {
      if (p[i] < 0 || p[i] >= V)
        throw_error("prompt {}: token {} at index {} is outside the vocabulary [0, {})", b, p[i], i, V);
    }
  }
}

}  // namespace

GenerationResult generate(Denoiser& model, const std::vector<std::vector<int32_t>>& prompts,
                          const GenerationParams& params, const StepCallback& on_step) {
  validate(params);
  check_prompts(model, prompts);
  if (!params.row_seeds.empty() && params.row_seeds.size() != prompts.size())
    throw_error("{} row seeds were given for a batch of {} prompts", params.row_seeds.size(), prompts.size());
  if (params.early_stop && params.end_tokens.empty())
    throw_error("early stop needs the end tokens of the model's tokenizer, and none were given");
  for (int32_t t : params.end_tokens) {
    if (t < 0 || t >= model.vocab_size() || t == model.mask_token_id())
      throw_error("end token {} is not a token of the vocabulary [0, {}) other than the mask", t,
                  model.vocab_size());
  }
  const auto t0 = Clock::now();
  Sampler sampler(model, prompts, params, on_step);
  sampler.run();
  GenerationStats& st = sampler.stats();
  st.steps = sampler.steps_run();
  st.stopped_early = sampler.stopped();
  st.new_tokens = int64_t(prompts.size()) * params.max_new_tokens;
  st.seconds = seconds_since(t0);
  st.tokens_per_second = st.seconds > 0 ? double(st.new_tokens) / st.seconds : 0;
  GenerationResult result = sampler.take_result();
  // Answer tokens: each row's generated tokens before its first end token (all of them without end tokens).
  for (const std::vector<int32_t>& row : result.tokens) {
    auto end = std::find_if(row.begin(), row.end(), [&](int32_t t) {
      return std::find(params.end_tokens.begin(), params.end_tokens.end(), t) != params.end_tokens.end();
    });
    result.stats.answer_tokens += int64_t(end - row.begin());
  }
  result.stats.answer_tokens_per_second =
      result.stats.seconds > 0 ? double(result.stats.answer_tokens) / result.stats.seconds : 0;
  return result;
}

}  // namespace dc
