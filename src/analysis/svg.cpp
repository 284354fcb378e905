// SVG element writer (svg.h).
#include "analysis/svg.h"

#include <cmath>

#include <fmt/format.h>

namespace dc::analysis {

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') break;
        out += c;
    }
  }
  return out;
}

std::string svg_number(double v) {
  if (!std::isfinite(v)) return "0";
  std::string s = fmt::format("{:.2f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

namespace {

std::string stroke_attrs(const Stroke& s) {
  std::string a = fmt::format(" stroke=\"{}\" stroke-width=\"{}\"", xml_escape(s.color), svg_number(s.width));
  if (!s.dash.empty()) a += fmt::format(" stroke-dasharray=\"{}\"", xml_escape(s.dash));
  return a;
}

std::string points_attr(const std::vector<std::pair<double, double>>& pts) {
  std::string p;
  for (const auto& [x, y] : pts) {
    if (!p.empty()) p += ' ';
    p += svg_number(x) + "," + svg_number(y);
  }
  return p;
}

}  // namespace

Svg::Svg(double width, double height) : width_(width), height_(height) {}

void Svg::rect(double x, double y, double w, double h, const std::string& fill, const Stroke* stroke,
               const std::string& title) {
  body_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"", svg_number(x),
                       svg_number(y), svg_number(w), svg_number(h), xml_escape(fill));
  if (stroke) body_ += stroke_attrs(*stroke);
  if (title.empty()) {
    body_ += "/>\n";
  } else {
    body_ += fmt::format("><title>{}</title></rect>\n", xml_escape(title));
  }
}

void Svg::line(double x1, double y1, double x2, double y2, const Stroke& s) {
  body_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"{}/>\n", svg_number(x1), svg_number(y1),
                       svg_number(x2), svg_number(y2), stroke_attrs(s));
}

void Svg::polyline(const std::vector<std::pair<double, double>>& pts, const Stroke& s) {
  body_ += fmt::format("<polyline fill=\"none\" points=\"{}\"{}/>\n", points_attr(pts), stroke_attrs(s));
}

void Svg::polygon(const std::vector<std::pair<double, double>>& pts, const std::string& fill,
                  double opacity) {
  body_ += fmt::format("<polygon points=\"{}\" fill=\"{}\" fill-opacity=\"{}\" stroke=\"none\"/>\n",
                       points_attr(pts), xml_escape(fill), svg_number(opacity));
}

void Svg::circle(double cx, double cy, double r, const std::string& fill, const std::string& title) {
  body_ += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"", svg_number(cx), svg_number(cy),
                       svg_number(r), xml_escape(fill));
  if (title.empty()) {
    body_ += "/>\n";
  } else {
    body_ += fmt::format("><title>{}</title></circle>\n", xml_escape(title));
  }
}

void Svg::text(double x, double y, std::string_view s, double size, Anchor anchor, const std::string& fill,
               double rotate_deg, bool bold) {
  const char* a = anchor == Anchor::start ? "start" : anchor == Anchor::middle ? "middle" : "end";
  body_ += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{}\" fill=\"{}\"",
                       svg_number(x), svg_number(y), svg_number(size), a, xml_escape(fill));
  if (rotate_deg != 0) {
    body_ +=
        fmt::format(" transform=\"rotate({} {} {})\"", svg_number(rotate_deg), svg_number(x), svg_number(y));
  }
  if (bold) body_ += " font-weight=\"bold\"";
  body_ += fmt::format(">{}</text>\n", xml_escape(s));
}

std::string Svg::str() const {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"Helvetica, Arial, sans-serif\">\n"
      "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"#fff\"/>\n{2}</svg>\n",
      svg_number(width_), svg_number(height_), body_);
}

}  // namespace dc::analysis
