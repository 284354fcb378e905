#include "decode/postprocess.h"

#include <algorithm>

namespace dc {

std::vector<int32_t> postprocess_instruct(std::span<const int32_t> tokens, int32_t dlm_pad, int32_t im_end) {
  const auto fill = std::find(tokens.begin(), tokens.end(), dlm_pad);
  const auto turn_end = std::find(tokens.begin(), fill, im_end);
  return std::vector<int32_t>(tokens.begin(), turn_end);
}

std::vector<int32_t> postprocess_base(std::span<const int32_t> tokens, int32_t end_of_text) {
  const auto cut = std::find(tokens.begin(), tokens.end(), end_of_text);
  return std::vector<int32_t>(tokens.begin(), cut);
}

}  // namespace dc
