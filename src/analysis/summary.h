// A run of the decoding analysis: many samples decoded (or read back) under one setting, reduced to the
// figures `diffucoder analyze` prints: AR-ness@k averaged over samples with their spread, the entropy sink
// (first-step confidence by generated position) and the expected values of a uniformly random order for
// comparison. Computing the per-sample values is arness.h; drawing them is charts.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/arness.h"

namespace dc::analysis {

// One decoded sample.
struct Sample {
  DecodeOrder order;
  // Confidence of each generated position at the first decoding step, by the sampler's algorithm; (L) or
  // empty when unknown (e.g. an order file without the field).
  std::vector<double> first_step_confidence;
};

// Mean and spread over samples, element by element. std is the sample standard deviation (n-1; 0 for a
// single sample); count[i] is how many samples had element i (samples may differ in length).
struct Spread {
  std::vector<double> mean;
  std::vector<double> std;
  std::vector<int64_t> count;
};

// Reduces equally indexed vectors; vector i of `rows` may be shorter than others.
Spread spread_of(const std::vector<std::vector<double>>& rows);

struct RunSummary {
  std::string label;                  // e.g. "T=0.2" or the order file's name
  std::optional<double> temperature;  // when known
  int64_t samples = 0;
  Spread local;         // local AR-ness@k, index k-1 (k = 1..max_local_k): mean over samples of each
                        // sample's per-step average
  Spread global;        // global AR-ness@k, index k-1
  Spread entropy_sink;  // first-step confidence by generated position; empty when no sample has it
  std::vector<double> random_local;   // expected local AR-ness@k of a uniformly random order, averaged over
                                      // the samples' (L, P)
  std::vector<double> random_global;  // likewise for global
  Sample first;                       // the first sample, for the decoding-order heat map
};

// Throws dc::Error naming `label` if a sample's order is malformed (see order_events).
RunSummary summarize(const std::string& label, std::optional<double> temperature,
                     const std::vector<Sample>& samples, int max_local_k = 9, int max_global_k = 4);

// The JSON object `diffucoder analyze --json` prints for a run: label, temperature (if known), samples,
// local_arness, global_arness (arrays indexed by k starting at k = 1), entropy_sink (array by position),
// their *_std spreads and the random_* baselines, in that order.
nlohmann::ordered_json summary_json(const RunSummary& s);

// A plain-text table of the runs (mean +- std per k, the random-order reference, the entropy sink's first
// and last positions) for a terminal.
std::string summary_text(const std::vector<RunSummary>& runs);

}  // namespace dc::analysis
