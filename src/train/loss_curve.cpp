#include "train/loss_curve.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace dc::train {

std::string loss_curve_svg(const std::vector<std::pair<double, double>>& train,
                           const std::vector<std::pair<double, double>>& val) {
  const double W = 640, H = 400, L = 60, R = 20, T = 30, Bm = 45;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto* s : {&train, &val})
    for (auto [x, y] : *s) {
      if (!std::isfinite(y)) continue;
      x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
  if (x0 > x1) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) { return T + (y1 - y) / (y1 - y0) * (H - T - Bm); };
  std::string s = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
      "height=\"{}\" viewBox=\"0 0 {} {}\">\n<rect width=\"{}\" height=\"{}\" fill=\"#fff\"/>\n",
      W, H, W, H, W, H);
  s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#000\"/>\n", L, H - Bm, W - R,
                   H - Bm);
  s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#000\"/>\n", L, T, L, H - Bm);
  for (int i = 0; i <= 4; ++i) {
    const double yv = y0 + (y1 - y0) * i / 4.0, xv = x0 + (x1 - x0) * i / 4.0;
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{:.3g}</text>\n",
                     L - 4, py(yv) + 4, yv);
    s +=
        fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">{:.0f}</text>\n",
                    px(xv), H - Bm + 16, xv);
  }
  s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">step</text>\n",
                   (L + W - R) / 2, H - 8);
  s += fmt::format("<text x=\"{}\" y=\"18\" font-size=\"12\">loss (train: blue, validation: orange)</text>\n",
                   L);
  auto poly = [&](const std::vector<std::pair<double, double>>& pts, const char* color) {
    std::string d;
    for (auto [x, y] : pts)
      if (std::isfinite(y)) d += fmt::format("{:.1f},{:.1f} ", px(x), py(y));
    if (!d.empty())
      s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n", color,
                       d);
  };
  poly(train, "#1f77b4");
  poly(val, "#ff7f0e");
  s += "</svg>\n";
  return s;
}

}  // namespace dc::train
