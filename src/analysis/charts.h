// The analysis pictures, drawn by hand with svg.h: a line chart with axes, ticks, labels, legend and optional
// spread bands (AR-ness against k for several temperatures; the entropy-sink curve), and the
// decoding-order heat map of one sample (generated position x step at which it was committed).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/arness.h"

namespace dc::analysis {

struct Series {
  std::string label;        // legend entry; empty = not in the legend
  std::vector<double> x;    // (n)
  std::vector<double> y;    // (n); non-finite values break the line
  std::vector<double> err;  // (n) or empty: a band y-err .. y+err is shaded behind the line
  std::string color;        // empty = the next palette colour
  bool dashed = false;
  bool markers = true;
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  std::optional<double> y_min, y_max;  // fixed y range (e.g. 0..1 for AR-ness); else from the data
  bool integer_x = false;              // ticks only at integers (k on the x axis)
  double width = 640, height = 400;
};

// "Nice" tick values (steps of 1, 2 or 5 x 10^n) covering [lo, hi] with about `target` ticks.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);
// The i-th of a fixed palette of distinguishable colours (cycles).
std::string palette_color(size_t i);
// A perceptually ordered colour ramp (dark blue -> green -> yellow), t in [0, 1], as "#rrggbb".
std::string ramp_color(double t);

std::string line_chart_svg(const LineChart& c);

// Heat map of one decoding order: a cell at (generated position, step) for every commit, coloured by step;
// positions are shaded from their commit to the end (already decoded). Throws dc::Error on a malformed order.
std::string order_heatmap_svg(const DecodeOrder& order, const std::string& title);

}  // namespace dc::analysis
