// Report pictures and HTML page (report.h).
#include "analysis/report.h"

#include <filesystem>
#include <limits>
#include <system_error>

#include <fmt/format.h>

#include "analysis/svg.h"
#include "core/error.h"
#include "core/mapped_file.h"

namespace dc::analysis {
namespace {

std::vector<double> k_axis(size_t n) {
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = double(i + 1);
  return x;
}

bool has_entropy_sink(const std::vector<RunSummary>& runs) {
  for (const RunSummary& r : runs) {
    if (!r.entropy_sink.mean.empty()) return true;
  }
  return false;
}

// One HTML table: a row per run, a column per index, cells "mean ± std".
std::string spread_table(const std::vector<RunSummary>& runs, const Spread RunSummary::*field,
                         const std::vector<double> RunSummary::*random, const char* head) {
  size_t n = 0;
  for (const RunSummary& r : runs) n = std::max(n, (r.*field).mean.size());
  std::string t = "<table>\n<tr><th>run</th><th>samples</th>";
  for (size_t k = 1; k <= n; ++k) t += fmt::format("<th>{}@{}</th>", head, k);
  t += "</tr>\n";
  for (const RunSummary& r : runs) {
    const Spread& s = r.*field;
    t += fmt::format("<tr><td>{}</td><td>{}</td>", xml_escape(r.label), r.samples);
    for (size_t i = 0; i < n; ++i) {
      t +=
          i < s.mean.size() ? fmt::format("<td>{:.3f} &#177; {:.3f}</td>", s.mean[i], s.std[i]) : "<td></td>";
    }
    t += "</tr>\n";
  }
  if (!runs.empty()) {
    const std::vector<double>& rnd = runs.front().*random;
    t += "<tr class=\"ref\"><td>uniformly random order (expected)</td><td></td>";
    for (size_t i = 0; i < n; ++i) t += i < rnd.size() ? fmt::format("<td>{:.3f}</td>", rnd[i]) : "<td></td>";
    t += "</tr>\n";
  }
  return t + "</table>\n";
}

void write_or_throw(const std::filesystem::path& p, const std::string& data,
                    std::vector<std::string>& written) {
  write_file_atomic(p.string(), data);
  written.push_back(p.string());
}

}  // namespace

LineChart arness_chart(const std::vector<RunSummary>& runs, bool local) {
  LineChart c;
  c.title = local ? "Local AR-ness@k" : "Global AR-ness@k";
  c.x_label = "k";
  c.y_label = local ? "local AR-ness" : "global AR-ness";
  c.y_min = 0.0;
  c.y_max = 1.0;
  c.integer_x = true;
  for (const RunSummary& r : runs) {
    const Spread& s = local ? r.local : r.global;
    Series ser;
    ser.label = r.label;
    ser.x = k_axis(s.mean.size());
    ser.y = s.mean;
    ser.err = s.std;
    c.series.push_back(std::move(ser));
  }
  if (!runs.empty()) {
    Series ref;
    ref.label = "random order";
    ref.y = local ? runs.front().random_local : runs.front().random_global;
    ref.x = k_axis(ref.y.size());
    ref.color = "#888888";
    ref.dashed = true;
    ref.markers = false;
    c.series.push_back(std::move(ref));
  }
  return c;
}

LineChart entropy_sink_chart(const std::vector<RunSummary>& runs) {
  LineChart c;
  c.title = "Entropy sink: first-step confidence by position";
  c.x_label = "generated position";
  c.y_label = "confidence at step 1";
  for (const RunSummary& r : runs) {
    if (r.entropy_sink.mean.empty()) continue;
    Series ser;
    ser.label = r.label;
    ser.x = k_axis(r.entropy_sink.mean.size());
    for (double& x : ser.x) x -= 1;  // positions count from 0
    ser.y = r.entropy_sink.mean;
    ser.err = r.entropy_sink.std;
    ser.markers = ser.x.size() <= 64;
    c.series.push_back(std::move(ser));
  }
  return c;
}

std::string report_html(const std::vector<RunSummary>& runs, const std::string& command_line) {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>diffucoder decoding analysis</title>\n<style>\n"
      "body{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;color:#222}\n"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
      "text-align:right}td:first-child{text-align:left}tr.ref{color:#777}\n"
      "code{background:#f4f4f4;padding:1px 4px}img{max-width:100%;margin:0.5em "
      "0}\n</style>\n</head>\n<body>\n"
      "<h1>Decoding analysis</h1>\n";
  h += fmt::format("<p>Command: <code>{}</code></p>\n", xml_escape(command_line));
  h += "<p>Local AR-ness@k: fraction of commits whose previous k committed positions are exactly the k "
       "positions to their left, in order. Global AR-ness@k: fraction of commits that take one of the k "
       "left-most still-masked positions. The prompt counts as already decoded left to right; where the "
       "history is shorter than k the indicator is 0; several commits in one step enter the history left to "
       "right. Values are the mean over samples of each sample's per-commit average, &#177; the standard "
       "deviation over samples. Left-to-right decoding scores 1 for every k.</p>\n";
  h += "<h2>Decoding order of one sample</h2>\n";
  h += fmt::format("<p>First sample of <b>{}</b>: each commit is a cell at (generated position, step).</p>\n",
                   runs.empty() ? std::string("(none)") : xml_escape(runs.front().label));
  h += "<img src=\"decoding_order.svg\" alt=\"decoding order heat map\">\n";
  h += "<h2>Local AR-ness</h2>\n<img src=\"local_arness.svg\" alt=\"local AR-ness against k\">\n";
  h += spread_table(runs, &RunSummary::local, &RunSummary::random_local, "k");
  h += "<h2>Global AR-ness</h2>\n<img src=\"global_arness.svg\" alt=\"global AR-ness against k\">\n";
  h += spread_table(runs, &RunSummary::global, &RunSummary::random_global, "k");
  h += "<h2>Entropy sink</h2>\n";
  if (has_entropy_sink(runs)) {
    h += "<p>Confidence of every generated position at the first decoding step, averaged over samples "
         "(band: &#177; one standard deviation).</p>\n<img src=\"entropy_sink.svg\" alt=\"entropy sink\">\n";
  } else {
    h += "<p>Not available: the inputs carry no first-step confidences.</p>\n";
  }
  h += "<p>Numbers: <a href=\"summary.json\">summary.json</a>.</p>\n</body>\n</html>\n";
  return h;
}

std::vector<std::string> write_report(const std::string& dir, const std::vector<RunSummary>& runs,
                                      const std::string& command_line) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw_error("{}: cannot create the report directory: {}", dir, ec.message());
  const fs::path d(dir);
  std::vector<std::string> written;
  DecodeOrder first;
  std::string first_title = "Decoding order (no samples)";
  if (!runs.empty()) {
    first = runs.front().first.order;
    first_title = fmt::format("Decoding order: {}, first sample", runs.front().label);
  }
  write_or_throw(d / "decoding_order.svg", order_heatmap_svg(first, first_title), written);
  write_or_throw(d / "local_arness.svg", line_chart_svg(arness_chart(runs, true)), written);
  write_or_throw(d / "global_arness.svg", line_chart_svg(arness_chart(runs, false)), written);
  if (has_entropy_sink(runs)) {
    write_or_throw(d / "entropy_sink.svg", line_chart_svg(entropy_sink_chart(runs)), written);
  }
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const RunSummary& r : runs) all.push_back(summary_json(r));
  write_or_throw(d / "summary.json", all.dump(1) + "\n", written);
  write_or_throw(d / "index.html", report_html(runs, command_line), written);
  return written;
}

}  // namespace dc::analysis
