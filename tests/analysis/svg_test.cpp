// The SVG writer and the charts: well-formed XML (checked by xml_check.h), escaped text, the expected
// elements (one marker per point, one cell per commit, legend entries) and hand-computed helpers.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "analysis/charts.h"
#include "analysis/svg.h"
#include "core/error.h"
#include "xml_check.h"

namespace dc::analysis {
namespace {

using testing::check_xml;

int count_of(const std::string& s, const std::string& needle) {
  int n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

TEST(XmlCheck, RejectsMalformedDocuments) {
  // The checker itself must fail on the mistakes it is meant to catch.
  EXPECT_EQ(check_xml("<svg><rect/></svg>").error, "");
  EXPECT_NE(check_xml("<svg><g></svg>").error, "");
  EXPECT_NE(check_xml("<svg><text>a < b</text></svg>").error, "");
  EXPECT_NE(check_xml("<svg><text>R&D</text></svg>").error, "");
  EXPECT_NE(check_xml("<svg a=\"1\" a=\"2\"/>").error, "");
  EXPECT_NE(check_xml("<svg a=1/>").error, "");
  EXPECT_NE(check_xml("<svg/><svg/>").error, "");
  EXPECT_NE(check_xml("<svg title=\"x\"y=\"1\"/>").error, "");
  EXPECT_EQ(check_xml("<svg><text>R&amp;D &#177;</text></svg>").error, "");
}

TEST(Svg, EscapesAndFormatsNumbers) {
  EXPECT_EQ(xml_escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
  EXPECT_EQ(xml_escape(std::string("x\x01y", 3)), "xy");
  EXPECT_EQ(svg_number(12), "12");
  EXPECT_EQ(svg_number(0.5), "0.5");
  EXPECT_EQ(svg_number(-3.254), "-3.25");
  EXPECT_EQ(svg_number(-0.001), "0");
  EXPECT_EQ(svg_number(1.999), "2");
  EXPECT_EQ(svg_number(NAN), "0");
}

TEST(Svg, DocumentIsWellFormedWithEveryElementKind) {
  Svg svg(200, 100);
  Stroke dashed{"#123456", 1.5, "4 2"};
  svg.rect(1, 2, 3, 4, "#fff", &dashed, "tip <1>");
  svg.line(0, 0, 10, 10, dashed);
  svg.polyline({{0, 0}, {1, 2.5}}, dashed);
  svg.polygon({{0, 0}, {1, 0}, {1, 1}}, "red", 0.25);
  svg.circle(5, 5, 2, "blue", "T=0.2 & more");
  svg.text(10, 20, "a < b & c", 12, Anchor::middle, "#000", -90, true);
  const std::string doc = svg.str();
  const auto r = check_xml(doc);
  ASSERT_EQ(r.error, "") << doc;
  EXPECT_EQ(r.root, "svg");
  EXPECT_EQ(r.element_count.at("rect"), 2);  // background + one
  EXPECT_EQ(r.element_count.at("title"), 2);
  EXPECT_NE(doc.find("width=\"200\" height=\"100\" viewBox=\"0 0 200 100\""), std::string::npos);
  EXPECT_NE(doc.find(">a &lt; b &amp; c</text>"), std::string::npos);
  EXPECT_NE(doc.find("transform=\"rotate(-90 10 20)\""), std::string::npos);
  EXPECT_NE(doc.find("points=\"0,0 1,2.5\""), std::string::npos);
  EXPECT_NE(doc.find("stroke-dasharray=\"4 2\""), std::string::npos);
}

TEST(Charts, NiceTicks) {
  const std::vector<double> a = nice_ticks(0, 1, 6);
  ASSERT_EQ(a.size(), 6u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], 0.2 * double(i), 1e-12);
  EXPECT_EQ(nice_ticks(1, 9, 9), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(nice_ticks(0, 255, 8), (std::vector<double>{0, 50, 100, 150, 200, 250}));
  EXPECT_EQ(nice_ticks(-0.05, 1.05, 6), (std::vector<double>{0, 0.5, 1}));  // raw step 0.22 -> 0.5
  EXPECT_EQ(nice_ticks(3, 3, 6), (std::vector<double>{3}));
}

TEST(Charts, RampAndPalette) {
  EXPECT_EQ(ramp_color(0), "#440154");
  EXPECT_EQ(ramp_color(1), "#fde725");
  EXPECT_EQ(ramp_color(0.5), "#21918c");
  EXPECT_EQ(ramp_color(-3), "#440154");
  EXPECT_EQ(palette_color(0), palette_color(8));
  EXPECT_NE(palette_color(0), palette_color(1));
}

TEST(Charts, LineChartHasAxesLegendAndOneMarkerPerPoint) {
  LineChart c;
  c.title = "Local AR-ness@k";
  c.x_label = "k";
  c.y_label = "local AR-ness";
  c.y_min = 0;
  c.y_max = 1;
  c.integer_x = true;
  Series a{"T=0.2", {1, 2, 3}, {0.9, 0.5, 0.25}, {0.1, 0.1, 0.05}, "", false, true};
  Series b{"<T&1.2>", {1, 2, 3}, {0.4, NAN, 0.1}, {}, "", false, true};
  Series ref{"random order", {1, 2, 3}, {0.1, 0.01, 0.001}, {}, "#888888", true, false};
  c.series = {a, b, ref};
  const std::string doc = line_chart_svg(c);
  const auto r = check_xml(doc);
  ASSERT_EQ(r.error, "") << doc;
  // Markers: 3 + 2 finite points, plus one legend marker per series with markers.
  EXPECT_EQ(r.element_count.at("circle"), 5 + 2);
  EXPECT_EQ(r.element_count.at("polygon"), 1);  // the spread band of series a
  // Series b breaks at the NaN into two single points: no polyline for it.
  EXPECT_EQ(r.element_count.at("polyline"), 2);
  for (const char* s : {">Local AR-ness@k</text>", ">k</text>", ">local AR-ness</text>", ">T=0.2</text>",
                        ">&lt;T&amp;1.2&gt;</text>", ">random order</text>", ">0.0</text>", ">1.0</text>",
                        ">1</text>", ">2</text>", ">3</text>"}) {
    EXPECT_NE(doc.find(s), std::string::npos) << s;
  }
  EXPECT_NE(doc.find("T=0.2: k = 2, local AR-ness = 0.5000"), std::string::npos);
  EXPECT_EQ(count_of(doc, "stroke-dasharray=\"6 4\""), 2);  // reference line and its legend sample
}

TEST(Charts, LineChartWithoutDataIsStillWellFormed) {
  LineChart c;
  c.title = "empty";
  EXPECT_EQ(check_xml(line_chart_svg(c)).error, "");
}

TEST(Charts, HeatMapHasOneCellPerCommitAndColourBar) {
  DecodeOrder o;
  o.prompt_length = 3;
  o.generated_length = 5;
  o.commits = {{1, 0}, {2, 4}, {3, 1}, {4, 2}, {4, 3}};
  const std::string doc = order_heatmap_svg(o, "Decoding order & more");
  const auto r = check_xml(doc);
  ASSERT_EQ(r.error, "") << doc;
  for (const auto& c : o.commits) {
    const std::string tip =
        "position " + std::to_string(c.position) + " committed at step " + std::to_string(c.step);
    EXPECT_EQ(count_of(doc, tip), 1) << tip;
  }
  // Earliest step darkest, latest brightest.
  EXPECT_NE(doc.find("fill=\"#440154\"><title>position 0 committed at step 1"), std::string::npos);
  EXPECT_NE(doc.find("fill=\"#fde725\"><title>position 2 committed at step 4"), std::string::npos);
  // background + plot + 5 decoded bars + 5 cells + 32 colour-bar bands + legend swatch
  EXPECT_EQ(r.element_count.at("rect"), 1 + 1 + 5 + 5 + 32 + 1);
  for (const char* s : {">generated position</text>", ">decoding step</text>", ">step 1</text>",
                        ">step 4</text>", ">Decoding order &amp; more</text>"}) {
    EXPECT_NE(doc.find(s), std::string::npos) << s;
  }
}

TEST(Charts, HeatMapRejectsMalformedOrders) {
  DecodeOrder o;
  o.generated_length = 2;
  o.commits = {{0, 0}, {1, 2}};
  EXPECT_THROW(order_heatmap_svg(o, "x"), Error);
}

}  // namespace
}  // namespace dc::analysis
