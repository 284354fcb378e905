// A minimal SVG 1.1 writer: a document of rectangles, lines, polylines, polygons, circles and text, in user
// units with the origin at the top left. It knows nothing of charts (charts.h draws with it). Every string
// that reaches the document is XML-escaped; numbers are written with at most 2 decimals, so output is
// byte-for-byte reproducible.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dc::analysis {

// "&", "<", ">", '"' and "'" as entities; control characters other than tab/newline dropped (invalid XML).
std::string xml_escape(std::string_view s);
// Compact decimal: at most 2 decimals, trailing zeros and "-0" removed ("12", "0.5", "-3.25").
std::string svg_number(double v);

struct Stroke {
  std::string color = "#000";
  double width = 1.0;
  std::string dash;  // SVG stroke-dasharray, e.g. "4 3"; empty = solid
};

enum class Anchor { start, middle, end };

class Svg {
 public:
  Svg(double width, double height);

  // `title` (optional) becomes a <title> child: a tooltip in browsers.
  void rect(double x, double y, double w, double h, const std::string& fill, const Stroke* stroke = nullptr,
            const std::string& title = "");
  void line(double x1, double y1, double x2, double y2, const Stroke& s);
  void polyline(const std::vector<std::pair<double, double>>& pts, const Stroke& s);
  void polygon(const std::vector<std::pair<double, double>>& pts, const std::string& fill, double opacity);
  void circle(double cx, double cy, double r, const std::string& fill, const std::string& title = "");
  // Text at (x, y) (baseline); rotate_deg turns it about (x, y) (-90 for a vertical axis label).
  void text(double x, double y, std::string_view s, double size, Anchor anchor = Anchor::start,
            const std::string& fill = "#222", double rotate_deg = 0, bool bold = false);

  // The complete document, starting with the XML declaration.
  std::string str() const;

 private:
  double width_, height_;
  std::string body_;
};

}  // namespace dc::analysis
