// libFuzzer target: parse_safetensors_header on arbitrary bytes (the whole input is the file). Any input
// must either be rejected with a one-line dc::Error or yield a header whose tensors tile the data section
// exactly; a crash, hang, sanitizer report or broken invariant is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dc::SafetensorsHeader h;
  try {
    h = dc::parse_safetensors_header(data, size, "fuzz.safetensors");
  } catch (const dc::Error& e) {
    if (std::string(e.what()).find('\n') != std::string::npos) std::abort();  // messages are one line
    return 0;
  }
  if (h.data_offset != 8 + h.header_size || h.data_offset + h.data_size != size) std::abort();
  uint64_t pos = 0;
  for (const auto& t : h.tensors) {
    uint64_t nbytes = dc::dtype_size(t.dtype);
    for (int64_t d : t.shape) nbytes *= uint64_t(d);
    if (t.begin != pos || t.end - t.begin != nbytes || t.end > h.data_size) std::abort();
    // Touch the first and last byte the view would expose: ASan flags anything outside the input.
    if (nbytes > 0) {
      volatile uint8_t first = data[h.data_offset + t.begin];
      volatile uint8_t last = data[h.data_offset + t.end - 1];
      (void)first;
      (void)last;
    }
    pos = t.end;
  }
  if (pos != h.data_size) std::abort();
  return 0;
}
