// What a diffucoder::Engine holds (include/diffucoder/diffucoder.h): the text pipeline of a model folder.
// Only the engine and the diffucoder tools include this; programs that embed the engine never see it.
#pragma once

#include "diffucoder/diffucoder.h"
#include "generate/text_generator.h"

namespace diffucoder {

struct Engine::Impl {
  explicit Impl(const std::string& model_dir) : generator(model_dir) {}
  dc::TextGenerator generator;
};

}  // namespace diffucoder
