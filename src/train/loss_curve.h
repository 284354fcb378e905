// The loss-curve picture written next to checkpoints: training loss (and validation loss, if any) against
// step, as a self-contained SVG line chart with axes and labels.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dc::train {

// points: (step, loss). Returns the SVG document text.
std::string loss_curve_svg(const std::vector<std::pair<double, double>>& train,
                           const std::vector<std::pair<double, double>>& val);

}  // namespace dc::train
