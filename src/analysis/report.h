// The analysis report: the three pictures of SPEC §7 / issue 5 as SVG files and a small HTML page that
// shows them with tables of the numbers. Input is one RunSummary per setting (temperature or order file).
#pragma once

#include <string>
#include <vector>

#include "analysis/charts.h"
#include "analysis/summary.h"

namespace dc::analysis {

// AR-ness against k, one line per run (mean, spread band of +-1 std) plus the uniformly-random-order
// expectation of the first run as a dashed grey reference. `local` picks local (k = 1..9) or global.
LineChart arness_chart(const std::vector<RunSummary>& runs, bool local);
// Mean first-step confidence by generated position, one line per run with an entropy sink (+-1 std band).
LineChart entropy_sink_chart(const std::vector<RunSummary>& runs);

// The HTML page (self-contained apart from the SVG files it names).
std::string report_html(const std::vector<RunSummary>& runs, const std::string& command_line);

// Writes into `dir` (created if missing): decoding_order.svg (the first sample of the first run),
// local_arness.svg, global_arness.svg, entropy_sink.svg (only when some run has first-step confidences),
// summary.json (one object per run, as summary_json) and index.html. Throws dc::Error naming the path on
// failure. Returns the paths written.
std::vector<std::string> write_report(const std::string& dir, const std::vector<RunSummary>& runs,
                                      const std::string& command_line);

}  // namespace dc::analysis
