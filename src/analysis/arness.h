// AR-ness of a decoding order (SPEC §7): how close a diffusion decoder's commit order is to left-to-right
// generation. This file computes the two measures for one sample from any commit order, and their exact
// expected values under a uniformly random order. It does not run a model and knows nothing of tokens.
//
// Definitions. Flatten the commit order into a sequence of events e = 1..E: steps in order, and inside one
// step the committed positions in increasing order ("they enter the history left to right"). p_e is the
// generated position (0 = first generated slot) committed at event e. The history before event e is the
// prompt, positions -P..-1 in order, followed by p_1..p_{e-1}. M_{e-1} is the set of generated positions not
// yet committed before event e (positions that are never committed stay in it).
//   local AR-ness@k  = (1/E) sum_e [the last k history entries are p_e-1, p_e-2, ..., p_e-k]
//                      (0 where the history is shorter than k)
//   global AR-ness@k = (1/E) sum_e [p_e is among the k smallest elements of M_{e-1}]
// Left-to-right decoding scores 1 for every k (local needs P >= k); right-to-left scores 0 for local
// (L >= 2) and min(k, L)/L for global. With one commit per step, events are steps.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace dc::analysis {

// One commit of the sampler: at decoding step `step`, generated position `position` received its token.
struct Commit {
  int64_t step = 0;
  int64_t position = 0;
};

// A sample's decoding order: what the AR-ness measures need and nothing else.
struct DecodeOrder {
  int64_t prompt_length = 0;     // P: prompt positions -P..-1 form the history before the first commit
  int64_t generated_length = 0;  // L: generated positions 0..L-1
  std::vector<Commit> commits;   // any order; sorted by (step, position) before use
};

// Per-event quantities from which every k follows: the AR-ness indicators are run >= k (local) and
// rank < k (global).
struct OrderEvent {
  int64_t position = 0;  // p_e
  int64_t run = 0;       // length of the strictly consecutive left-to-right run ending just before p_e:
                         // the largest j with history tail = p_e-1, ..., p_e-j (prompt included)
  int64_t rank = 0;      // number of still-masked generated positions left of p_e (0 = left-most mask)
};

// Flattens and checks an order: sorted by (step, position); where a position is committed at several steps
// only the last counts (the earlier ones wrote the mask token, leaving it masked). Throws dc::Error if a
// position is outside [0, L) or committed twice in one step, or if a count is negative. `what` names the
// source (a file, "line 3") for the message.
std::vector<OrderEvent> order_events(const DecodeOrder& order, const char* what = "decoding order");

struct Arness {
  std::vector<double> local;   // local[k-1] = local AR-ness@k, k = 1..max_local_k
  std::vector<double> global;  // global[k-1] = global AR-ness@k, k = 1..max_global_k
  int64_t events = 0;          // E; both vectors are all zero when E == 0
};

// Both measures for one sample (the per-event average over its commits).
Arness compute_arness(const DecodeOrder& order, int max_local_k = 9, int max_global_k = 4,
                      const char* what = "decoding order");

// Exact expectations when the L positions are committed one per step in a uniformly random order after a
// prompt of length P (derivation in arness.cpp).
double expected_local_arness_random(int64_t generated_length, int64_t prompt_length, int k);
double expected_global_arness_random(int64_t generated_length, int k);

}  // namespace dc::analysis
