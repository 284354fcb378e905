// libFuzzer target: the two line readers of `diffucoder analyze` on arbitrary text. parse_prompt_lines (a
// hand-written scanner for benchmark lines) and parse_generation (saved decoding orders) must either reject
// a line with a one-line dc::Error or return something the analysis then handles: AR-ness with every value
// in [0, 1], a well-formed heat map, and a save-format round trip with the same AR-ness.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "analysis/arness.h"
#include "analysis/charts.h"
#include "analysis/order_file.h"
#include "analysis/prompts.h"
#include "core/error.h"

namespace {

void check_one_line(const dc::Error& e) {
  if (std::string(e.what()).find('\n') != std::string::npos) std::abort();
}

void check_generation(std::string_view line) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return;
  dc::analysis::GenerationRecord r;
  try {
    r = dc::analysis::parse_generation(j, "fuzz:1");
  } catch (const dc::Error& e) {
    check_one_line(e);
    return;
  }
  const dc::analysis::DecodeOrder& o = r.sample.order;
  const dc::analysis::Arness a = dc::analysis::compute_arness(o);  // validated by the parser: must not throw
  for (double v : a.local) {
    if (!(v >= 0 && v <= 1)) std::abort();
  }
  for (double v : a.global) {
    if (!(v >= 0 && v <= 1)) std::abort();
  }
  if (o.generated_length <= 4096) {
    const std::string svg = dc::analysis::order_heatmap_svg(o, "fuzz");
    if (svg.find("</svg>") == std::string::npos) std::abort();
  }
  const nlohmann::json saved = dc::analysis::generation_json(r.sample, r.temperature);
  const dc::analysis::GenerationRecord back = dc::analysis::parse_generation(saved, "roundtrip");
  const dc::analysis::Arness b = dc::analysis::compute_arness(back.sample.order);
  if (a.local != b.local || a.global != b.global || a.events != b.events) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    dc::analysis::parse_prompt_lines(text, "fuzz.jsonl");
  } catch (const dc::Error& e) {
    check_one_line(e);
  }
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    check_generation(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return 0;
}
