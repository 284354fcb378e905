// libFuzzer target: parse_gguf on arbitrary bytes (the whole input is the file). Any input must either be
// rejected with a one-line dc::Error or yield a header whose tensors lie inside the data section, aligned and
// without overlaps, and whose metadata the getters decode without reading outside the values; a crash, hang,
// sanitizer report or broken invariant is a finding.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"
#include "model/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dc::GgufHeader h;
  try {
    h = dc::parse_gguf(data, size, "fuzz.gguf");
  } catch (const dc::Error& e) {
    if (std::string(e.what()).find('\n') != std::string::npos) std::abort();  // messages are one line
    return 0;
  }
  if (h.alignment == 0 || (h.alignment & (h.alignment - 1)) != 0 || h.data_offset % h.alignment != 0)
    std::abort();
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& t : h.tensors) {
    if (t.offset % h.alignment != 0 || t.ggml_dims.empty() || t.ggml_dims.size() > 4) std::abort();
    if (h.data_offset + t.offset + t.nbytes > size) std::abort();
    dc::TensorView v{t.dtype, {t.ggml_dims.rbegin(), t.ggml_dims.rend()}, nullptr};
    if (v.nbytes() != t.nbytes) std::abort();
    if (t.nbytes > 0) {
      // Touch the first and last byte the view would expose: ASan flags anything outside the input.
      volatile uint8_t first = data[h.data_offset + t.offset];
      volatile uint8_t last = data[h.data_offset + t.offset + t.nbytes - 1];
      (void)first;
      (void)last;
      ranges.emplace_back(t.offset, t.offset + t.nbytes);
    }
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) std::abort();
  return 0;
}
