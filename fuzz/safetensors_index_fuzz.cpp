// libFuzzer target: parse_safetensors_index on arbitrary text. Any input must either be rejected with a
// one-line dc::Error or give a non-empty map whose shard names are plain file names (no path escapes).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/error.h"
#include "model/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto m = dc::parse_safetensors_index(text, "fuzz.index.json");
    if (m.empty()) std::abort();
    for (const auto& [name, shard] : m)
      if (shard.empty() || shard == "." || shard == ".." || shard.find('/') != std::string::npos)
        std::abort();
  } catch (const dc::Error& e) {
    if (std::string(e.what()).find('\n') != std::string::npos) std::abort();
  }
  return 0;
}
