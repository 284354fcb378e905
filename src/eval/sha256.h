// SHA-256 (FIPS 180-4). Keys the expected-output cache by the benchmark file's contents and the results
// file by each candidate program.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dc::eval {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  std::string hex_digest();  // finishes the hash; call once

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(std::string_view data);

}  // namespace dc::eval
