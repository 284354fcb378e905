// libFuzzer target: Tokenizer::load on an arbitrary tokenizer.json. Any input must either be rejected with a
// one-line dc::Error or give a tokenizer that encodes and decodes a fixed text without crashing.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/error.h"
#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/dc_tokenizer_json_fuzz." + std::to_string(getpid()) + ".json";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
  }
  try {
    const dc::Tokenizer tok = dc::Tokenizer::load(path);
    const auto ids = tok.encode("def f(x):\n    return x  # <|im_end|> caf\xC3\xA9 \xE4\xB8\x96");
    tok.decode(ids);
  } catch (const dc::Error& e) {
    if (std::string(e.what()).find('\n') != std::string::npos) std::abort();  // messages are one line
  }
  return 0;
}
