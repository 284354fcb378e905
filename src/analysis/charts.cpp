// Line charts and the decoding-order heat map (charts.h). Layout: a plot area inside fixed margins (title on
// top, axis labels left and below, legend or colour bar on the right); data coordinates map linearly onto it.
#include "analysis/charts.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "analysis/svg.h"
#include "core/error.h"

namespace dc::analysis {
namespace {

// Plot area in SVG units.
struct Frame {
  double x0, x1, y0, y1;  // left, right, top, bottom
};

// Linear map of [lo, hi] onto [a, b].
double map_to(double v, double lo, double hi, double a, double b) {
  return hi == lo ? (a + b) / 2 : a + (v - lo) / (hi - lo) * (b - a);
}

// A tick label with as many decimals as the tick step needs.
std::string tick_label(double v, double step) {
  int decimals = step >= 1 ? 0 : int(std::ceil(-std::log10(step) - 1e-9));
  decimals = std::clamp(decimals, 0, 6);
  if (std::abs(v) < step * 1e-6) v = 0.0;  // no "-0.0"
  return fmt::format("{:.{}f}", v, decimals);
}

const Stroke kAxis{"#444", 1.0, ""};
const Stroke kGrid{"#e3e3e3", 1.0, ""};

// Axes, grid, ticks and labels for x in [xlo, xhi], y in [ylo, yhi] (y grows upwards).
void draw_axes(Svg& svg, const Frame& f, const std::vector<double>& xt, double xlo, double xhi,
               const std::vector<double>& yt, double ylo, double yhi, const std::string& x_label,
               const std::string& y_label) {
  const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1.0;
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1.0;
  for (double v : yt) {
    const double y = map_to(v, ylo, yhi, f.y1, f.y0);
    svg.line(f.x0, y, f.x1, y, kGrid);
    svg.line(f.x0 - 4, y, f.x0, y, kAxis);
    svg.text(f.x0 - 7, y + 4, tick_label(v, ystep), 11, Anchor::end);
  }
  for (double v : xt) {
    const double x = map_to(v, xlo, xhi, f.x0, f.x1);
    svg.line(x, f.y1, x, f.y1 + 4, kAxis);
    svg.text(x, f.y1 + 17, tick_label(v, xstep), 11, Anchor::middle);
  }
  svg.line(f.x0, f.y1, f.x1, f.y1, kAxis);
  svg.line(f.x0, f.y0, f.x0, f.y1, kAxis);
  svg.text((f.x0 + f.x1) / 2, f.y1 + 38, x_label, 13, Anchor::middle);
  svg.text(f.x0 - 46, (f.y0 + f.y1) / 2, y_label, 13, Anchor::middle, "#222", -90);
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  DC_ASSERT(target >= 2);
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / double(target - 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  std::vector<double> t;
  const double first = std::ceil(lo / step - 1e-9) * step;
  for (double v = first; v <= hi + step * 1e-9; v += step) t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

std::string palette_color(size_t i) {
  // Colour-blind-safe categorical palette (Okabe-Ito), black last.
  static const std::array<const char*, 8> kColors = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                     "#E69F00", "#56B4E9", "#F0E442", "#000000"};
  return kColors[i % kColors.size()];
}

std::string ramp_color(double t) {
  // Piecewise-linear through five stops of a viridis-like ramp.
  static const std::array<std::array<double, 3>, 5> kStops = {
      {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  const double s = t * double(kStops.size() - 1);
  const size_t i = std::min(size_t(s), kStops.size() - 2);
  const double u = s - double(i);
  int rgb[3];
  for (int c = 0; c < 3; ++c) rgb[c] = int(std::lround(kStops[i][c] * (1 - u) + kStops[i + 1][c] * u));
  return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

std::string line_chart_svg(const LineChart& c) {
  bool has_legend = false;
  for (const Series& s : c.series) has_legend = has_legend || !s.label.empty();
  const Frame f{70, c.width - (has_legend ? 170 : 24), 40, c.height - 56};
  Svg svg(c.width, c.height);
  svg.text(c.width / 2, 24, c.title, 15, Anchor::middle, "#222", 0, true);

  // Data ranges (bands included).
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  for (const Series& s : c.series) {
    DC_ASSERT(s.x.size() == s.y.size() && (s.err.empty() || s.err.size() == s.y.size()));
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const double e = s.err.empty() || !std::isfinite(s.err[i]) ? 0.0 : std::abs(s.err[i]);
      xlo = std::min(xlo, s.x[i]);
      xhi = std::max(xhi, s.x[i]);
      ylo = std::min(ylo, s.y[i] - e);
      yhi = std::max(yhi, s.y[i] + e);
    }
  }
  if (!std::isfinite(xlo)) xlo = 0, xhi = 1, ylo = 0, yhi = 1;  // no data: empty axes
  if (c.y_min) ylo = *c.y_min;
  if (c.y_max) yhi = *c.y_max;
  if (!(yhi > ylo)) yhi = ylo + 1;
  if (!c.y_min && !c.y_max) {
    const double pad = (yhi - ylo) * 0.05;
    ylo -= pad;
    yhi += pad;
  }
  if (!(xhi > xlo)) xlo -= 0.5, xhi += 0.5;
  std::vector<double> xt = nice_ticks(xlo, xhi, std::clamp(c.integer_x ? int(xhi - xlo) + 1 : 8, 2, 10));
  if (c.integer_x) {
    std::erase_if(xt, [](double v) { return v != std::floor(v); });
    if (xt.size() < 2) xt = {std::ceil(xlo), std::floor(xhi)};
  }
  draw_axes(svg, f, xt, xlo, xhi, nice_ticks(ylo, yhi, 6), ylo, yhi, c.x_label, c.y_label);

  auto X = [&](double v) { return map_to(v, xlo, xhi, f.x0, f.x1); };
  auto Y = [&](double v) { return map_to(std::clamp(v, ylo, yhi), ylo, yhi, f.y1, f.y0); };
  int legend_row = 0;
  for (size_t si = 0; si < c.series.size(); ++si) {
    const Series& s = c.series[si];
    const std::string color = s.color.empty() ? palette_color(si) : s.color;
    const Stroke st{color, 2.0, s.dashed ? "6 4" : ""};
    if (!s.err.empty()) {
      std::vector<std::pair<double, double>> band;
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) band.push_back({X(s.x[i]), Y(s.y[i] + s.err[i])});
      }
      for (size_t i = s.x.size(); i-- > 0;) {
        if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) band.push_back({X(s.x[i]), Y(s.y[i] - s.err[i])});
      }
      if (band.size() >= 4) svg.polygon(band, color, 0.15);
    }
    std::vector<std::pair<double, double>> run;
    auto flush = [&] {
      if (run.size() >= 2) svg.polyline(run, st);
      run.clear();
    };
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        flush();
        continue;
      }
      run.push_back({X(s.x[i]), Y(s.y[i])});
    }
    flush();
    if (s.markers) {
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
        svg.circle(X(s.x[i]), Y(s.y[i]), 3, color,
                   fmt::format("{}: {} = {}, {} = {:.4f}", s.label, c.x_label, svg_number(s.x[i]), c.y_label,
                               s.y[i]));
      }
    }
    if (!s.label.empty()) {
      const double ly = f.y0 + 8 + 20 * legend_row++;
      svg.line(f.x1 + 14, ly, f.x1 + 38, ly, st);
      if (s.markers) svg.circle(f.x1 + 26, ly, 3, color);
      svg.text(f.x1 + 44, ly + 4, s.label, 12);
    }
  }
  return svg.str();
}

std::string order_heatmap_svg(const DecodeOrder& order, const std::string& title) {
  order_events(order, title.c_str());  // validates positions
  const int64_t L = order.generated_length;
  int64_t smin = std::numeric_limits<int64_t>::max(), smax = std::numeric_limits<int64_t>::min();
  for (const Commit& c : order.commits) smin = std::min(smin, c.step), smax = std::max(smax, c.step);
  if (order.commits.empty()) smin = 0, smax = 0;
  const double width = 720, height = 480;
  const Frame f{70, width - 110, 40, height - 56};
  Svg svg(width, height);
  svg.text(width / 2, 24, title, 15, Anchor::middle, "#222", 0, true);

  // x: position p occupies [p, p+1); y: step s occupies [s, s+1), time flowing downwards.
  const double xlo = 0, xhi = double(std::max<int64_t>(L, 1));
  const double ylo = double(smin), yhi = double(smax + 1);
  auto X = [&](double v) { return map_to(v, xlo, xhi, f.x0, f.x1); };
  auto Y = [&](double v) { return map_to(v, ylo, yhi, f.y0, f.y1); };
  svg.rect(f.x0, f.y0, f.x1 - f.x0, f.y1 - f.y0, "#fafafa");
  for (const Commit& c : order.commits) {  // decoded from its step on
    svg.rect(X(double(c.position)), Y(double(c.step)), X(double(c.position + 1)) - X(double(c.position)),
             f.y1 - Y(double(c.step)), "#dfe7f2");
  }
  const double span = double(std::max<int64_t>(smax - smin, 1));
  for (const Commit& c : order.commits) {
    const double x = X(double(c.position)), y = Y(double(c.step));
    const double w = std::max(X(double(c.position + 1)) - x, 0.8),
                 h = std::max(Y(double(c.step + 1)) - y, 0.8);
    svg.rect(x, y, w, h, ramp_color(double(c.step - smin) / span), nullptr,
             fmt::format("position {} committed at step {}", c.position, c.step));
  }

  // Axes: y ticks at step centres, labels increasing downwards.
  std::vector<double> xt = nice_ticks(0, double(std::max<int64_t>(L - 1, 0)), 8);
  std::erase_if(xt, [](double v) { return v != std::floor(v); });
  std::vector<double> yt = nice_ticks(double(smin), double(smax), 7);
  std::erase_if(yt, [](double v) { return v != std::floor(v); });
  const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1, ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
  // Label the first step too when the round ticks start well below it (e.g. 1, 50, 100).
  if (!yt.empty() && yt.front() - double(smin) > ystep / 3) yt.insert(yt.begin(), double(smin));
  for (double v : yt) {
    const double y = Y(v + 0.5);
    svg.line(f.x0 - 4, y, f.x0, y, kAxis);
    svg.text(f.x0 - 7, y + 4, tick_label(v, ystep), 11, Anchor::end);
  }
  for (double v : xt) {
    const double x = X(v + 0.5);
    svg.line(x, f.y1, x, f.y1 + 4, kAxis);
    svg.text(x, f.y1 + 17, tick_label(v, xstep), 11, Anchor::middle);
  }
  const Stroke frame{"#444", 1.0, ""};
  svg.line(f.x0, f.y1, f.x1, f.y1, frame);
  svg.line(f.x0, f.y0, f.x0, f.y1, frame);
  svg.text((f.x0 + f.x1) / 2, f.y1 + 38, "generated position", 13, Anchor::middle);
  svg.text(f.x0 - 46, (f.y0 + f.y1) / 2, "decoding step", 13, Anchor::middle, "#222", -90);

  // Colour bar: step smin at the top, smax at the bottom, as in the plot.
  const double bx = f.x1 + 24, bw = 14;
  const int kBands = 32;
  for (int i = 0; i < kBands; ++i) {
    const double y0 = f.y0 + (f.y1 - f.y0) * i / kBands;
    svg.rect(bx, y0, bw, (f.y1 - f.y0) / kBands + 0.5, ramp_color((i + 0.5) / kBands));
  }
  svg.text(bx + bw + 4, f.y0 + 10, fmt::format("step {}", smin), 11);
  svg.text(bx + bw + 4, f.y1, fmt::format("step {}", smax), 11);
  svg.rect(bx, f.y1 + 24, bw, 10, "#dfe7f2");
  svg.text(bx + bw + 4, f.y1 + 33, "decoded", 11);
  return svg.str();
}

}  // namespace dc::analysis
