// Local and global AR-ness of a commit order (SPEC §7); definitions in arness.h.
#include "analysis/arness.h"

#include <algorithm>

#include "core/error.h"

namespace dc::analysis {

std::vector<OrderEvent> order_events(const DecodeOrder& order, const char* what) {
  const int64_t P = order.prompt_length;
  const int64_t L = order.generated_length;
  if (P < 0) throw_error("{}: negative prompt length {}", what, P);
  if (L < 0) throw_error("{}: negative generated length {}", what, L);
  constexpr int64_t kMaxLength = int64_t(1) << 24;  // far beyond any canvas; bounds the (L) buffers below
  if (L > kMaxLength) throw_error("{}: generated length {} is too large (at most {})", what, L, kMaxLength);

  std::vector<Commit> sorted = order.commits;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Commit& a, const Commit& b) {
    return a.step != b.step ? a.step < b.step : a.position < b.position;
  });
  for (const Commit& c : sorted) {
    if (c.position < 0 || c.position >= L) {
      throw_error("{}: position {} at step {} is outside the {} generated positions", what, c.position,
                  c.step, L);
    }
  }
  // A sampler only commits masked positions, so a position committed again at a later step was left masked
  // by its earlier commit (the sampled token was the mask token itself, which Dream's reference allows):
  // only the last commit of each position decodes it.
  std::vector<uint8_t> seen(size_t(L), 0);
  std::vector<Commit> commits;
  commits.reserve(sorted.size());
  for (size_t i = sorted.size(); i-- > 0;) {
    const Commit& c = sorted[i];
    if (seen[size_t(c.position)]) {
      if (i + 1 < sorted.size() && sorted[i + 1].step == c.step && sorted[i + 1].position == c.position) {
        throw_error("{}: position {} is committed twice in step {}", what, c.position, c.step);
      }
      continue;
    }
    seen[size_t(c.position)] = 1;
    commits.push_back(c);
  }
  std::reverse(commits.begin(), commits.end());

  // Fenwick tree over the masked flags of the L positions (1 = still masked), so the rank of p among the
  // masked positions costs O(log L): tree[i] (1-based) sums the flags of positions (i - lowbit(i), i].
  std::vector<int64_t> tree(size_t(L) + 1, 0);
  for (int64_t i = 1; i <= L; ++i) {
    tree[size_t(i)] += 1;
    const int64_t parent = i + (i & -i);
    if (parent <= L) tree[size_t(parent)] += tree[size_t(i)];
  }
  auto masked_before = [&](int64_t p) {  // number of masked positions in [0, p)
    int64_t n = 0;
    for (int64_t i = p; i > 0; i -= i & -i) n += tree[size_t(i)];
    return n;
  };
  auto unmask = [&](int64_t p) {
    for (int64_t i = p + 1; i <= L; i += i & -i) tree[size_t(i)] -= 1;
  };
  std::vector<OrderEvent> events;
  events.reserve(commits.size());
  int64_t prev = -1;         // last history entry (position; -1 is the last prompt position)
  int64_t prev_run = P - 1;  // its run value: the prompt is a left-to-right run, so -1 carries P-1
  bool have_prev = P > 0;
  for (const Commit& c : commits) {
    const int64_t p = c.position;
    OrderEvent e;
    e.position = p;
    // The run ending before p continues the run that ended before the previous entry when that entry is
    // p-1: run(p) = 1 + run(p-1 entry).
    e.run = (have_prev && prev == p - 1) ? prev_run + 1 : 0;
    e.rank = masked_before(p);
    unmask(p);
    prev = p;
    prev_run = e.run;
    have_prev = true;
    events.push_back(e);
  }
  return events;
}

Arness compute_arness(const DecodeOrder& order, int max_local_k, int max_global_k, const char* what) {
  DC_ASSERT(max_local_k >= 0 && max_global_k >= 0);
  const std::vector<OrderEvent> events = order_events(order, what);
  Arness a;
  a.local.assign(size_t(max_local_k), 0.0);
  a.global.assign(size_t(max_global_k), 0.0);
  a.events = int64_t(events.size());
  if (events.empty()) return a;
  for (const OrderEvent& e : events) {
    for (int k = 1; k <= max_local_k; ++k) a.local[size_t(k - 1)] += e.run >= k ? 1.0 : 0.0;
    for (int k = 1; k <= max_global_k; ++k) a.global[size_t(k - 1)] += e.rank < k ? 1.0 : 0.0;
  }
  for (double& v : a.local) v /= double(events.size());
  for (double& v : a.global) v /= double(events.size());
  return a;
}

// Uniformly random order, one commit per step, L positions, prompt P. Let m = e-1 commits precede event e.
// * m >= k: the indicator needs (p_{e-k}, ..., p_e) to be k+1 consecutive increasing positions. That tuple
//   is a uniform ordered draw of k+1 distinct positions: L-k favourable tuples out of L(L-1)...(L-k), so
//   the probability is 1 / (L(L-1)...(L-k+1)).
// * m < k: the last m history entries are p_1..p_m and the k-m before them are the prompt tail -1, -2, ...
//   That needs P >= k-m and p_e - m - 1 = -1, i.e. p_1..p_e = 0, 1, ..., m: probability 1 / (L)_e with the
//   falling factorial (L)_e = L(L-1)...(L-e+1).
double expected_local_arness_random(int64_t L, int64_t P, int k) {
  DC_ASSERT(k >= 1 && L >= 0 && P >= 0);
  if (L == 0) return 0.0;
  double sum = 0.0;
  for (int64_t e = 1; e <= L; ++e) {
    const int64_t m = e - 1;
    double falling = 1.0;  // (L)_n with n = k (m >= k) or n = e (m < k)
    const int64_t n = m >= k ? k : e;
    if (m >= k && k + 1 > L) continue;  // needs k+1 distinct positions
    if (m < k && P < k - m) continue;   // history shorter than k
    for (int64_t j = 0; j < n; ++j) falling *= double(L - j);
    sum += 1.0 / falling;
  }
  return sum / double(L);
}

// Before event e, M has r = L-e+1 elements and p_e is uniform on them: P(rank < k) = min(k, r)/r.
double expected_global_arness_random(int64_t L, int k) {
  DC_ASSERT(k >= 1 && L >= 0);
  if (L == 0) return 0.0;
  double sum = 0.0;
  for (int64_t r = 1; r <= L; ++r) sum += double(std::min<int64_t>(k, r)) / double(r);
  return sum / double(L);
}

}  // namespace dc::analysis
