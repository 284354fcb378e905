// Reduction of per-sample AR-ness and first-step confidences to means and spreads (summary.h).
#include "analysis/summary.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"

namespace dc::analysis {

Spread spread_of(const std::vector<std::vector<double>>& rows) {
  size_t n = 0;
  for (const auto& r : rows) n = std::max(n, r.size());
  Spread s;
  s.mean.assign(n, 0.0);
  s.std.assign(n, 0.0);
  s.count.assign(n, 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      s.mean[i] += r[i];
      s.count[i] += 1;
    }
  }
  for (size_t i = 0; i < n; ++i) s.mean[i] /= double(s.count[i]);
  // Two-pass variance: sum of squared deviations from the mean, divided by n-1.
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) s.std[i] += (r[i] - s.mean[i]) * (r[i] - s.mean[i]);
  }
  for (size_t i = 0; i < n; ++i)
    s.std[i] = s.count[i] > 1 ? std::sqrt(s.std[i] / double(s.count[i] - 1)) : 0.0;
  return s;
}

RunSummary summarize(const std::string& label, std::optional<double> temperature,
                     const std::vector<Sample>& samples, int max_local_k, int max_global_k) {
  RunSummary s;
  s.label = label;
  s.temperature = temperature;
  s.samples = int64_t(samples.size());
  std::vector<std::vector<double>> local, global, sink;
  s.random_local.assign(size_t(max_local_k), 0.0);
  s.random_global.assign(size_t(max_global_k), 0.0);
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& x = samples[i];
    const std::string what = fmt::format("{}: sample {}", label, i + 1);
    const Arness a = compute_arness(x.order, max_local_k, max_global_k, what.c_str());
    local.push_back(a.local);
    global.push_back(a.global);
    if (!x.first_step_confidence.empty()) sink.push_back(x.first_step_confidence);
    for (int k = 1; k <= max_local_k; ++k) {
      s.random_local[size_t(k - 1)] +=
          expected_local_arness_random(x.order.generated_length, x.order.prompt_length, k);
    }
    for (int k = 1; k <= max_global_k; ++k) {
      s.random_global[size_t(k - 1)] += expected_global_arness_random(x.order.generated_length, k);
    }
  }
  if (!samples.empty()) {
    for (double& v : s.random_local) v /= double(samples.size());
    for (double& v : s.random_global) v /= double(samples.size());
    s.first = samples.front();
  }
  s.local = spread_of(local);
  s.global = spread_of(global);
  s.entropy_sink = spread_of(sink);
  // With no samples the AR-ness arrays still have one entry per k (all zero) so consumers can index by k.
  s.local.mean.resize(size_t(max_local_k), 0.0);
  s.local.std.resize(size_t(max_local_k), 0.0);
  s.local.count.resize(size_t(max_local_k), 0);
  s.global.mean.resize(size_t(max_global_k), 0.0);
  s.global.std.resize(size_t(max_global_k), 0.0);
  s.global.count.resize(size_t(max_global_k), 0);
  return s;
}

nlohmann::ordered_json summary_json(const RunSummary& s) {
  nlohmann::ordered_json j;
  j["label"] = s.label;
  if (s.temperature) j["temperature"] = *s.temperature;
  j["samples"] = s.samples;
  j["local_arness"] = s.local.mean;
  j["local_arness_std"] = s.local.std;
  j["global_arness"] = s.global.mean;
  j["global_arness_std"] = s.global.std;
  j["entropy_sink"] = s.entropy_sink.mean;
  j["entropy_sink_std"] = s.entropy_sink.std;
  j["random_local_arness"] = s.random_local;
  j["random_global_arness"] = s.random_global;
  return j;
}

namespace {

void append_rows(std::string& out, const char* name, const std::vector<RunSummary>& runs,
                 const Spread RunSummary::*field, const std::vector<double> RunSummary::*random) {
  size_t n = 0, width = 6;
  for (const RunSummary& r : runs)
    n = std::max(n, (r.*field).mean.size()), width = std::max(width, r.label.size());
  out += fmt::format("{:<{}}", name, width + 2);
  for (size_t k = 1; k <= n; ++k) out += fmt::format(" {:>13}", fmt::format("k={}", k));
  out += "\n";
  for (const RunSummary& r : runs) {
    out += fmt::format("{:<{}}", r.label, width + 2);
    const Spread& s = r.*field;
    for (size_t i = 0; i < s.mean.size(); ++i) out += fmt::format(" {:>6.3f}+-{:<5.3f}", s.mean[i], s.std[i]);
    out += "\n";
  }
  if (!runs.empty()) {
    out += fmt::format("{:<{}}", "random", width + 2);
    for (double v : runs.front().*random) out += fmt::format(" {:>6.3f}       ", v);
    out += "\n";
  }
}

}  // namespace

std::string summary_text(const std::vector<RunSummary>& runs) {
  std::string out;
  for (const RunSummary& r : runs) {
    out += fmt::format("{}: {} samples\n", r.label, r.samples);
  }
  append_rows(out, "local", runs, &RunSummary::local, &RunSummary::random_local);
  append_rows(out, "global", runs, &RunSummary::global, &RunSummary::random_global);
  for (const RunSummary& r : runs) {
    const auto& m = r.entropy_sink.mean;
    if (m.empty()) continue;
    out += fmt::format("{}: first-step confidence at positions 0..{}:", r.label,
                       std::min<size_t>(m.size(), 8) - 1);
    for (size_t i = 0; i < std::min<size_t>(m.size(), 8); ++i) out += fmt::format(" {:.3f}", m[i]);
    out += fmt::format("; last position ({}): {:.3f}\n", m.size() - 1, m.back());
  }
  return out;
}

}  // namespace dc::analysis
