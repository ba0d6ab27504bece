#include "geosr/eval/block.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace geosr::eval {

BlockPair crop_block(const torch::Tensor& reference, const torch::Tensor& candidate, const torch::Tensor& valid,
                     const Region& core, int64_t halo) {
  if (reference.dim() != 3 || reference.sizes() != candidate.sizes()) {
    throw std::runtime_error("eval: reference and candidate must be (C, H, W) of the same shape");
  }
  const int64_t h = reference.size(1), w = reference.size(2);
  if (core.empty() || core.y0 < 0 || core.x0 < 0 || core.y1 > h || core.x1 > w) {
    throw std::runtime_error("eval: block core outside the scene");
  }
  const Region outer{std::max<int64_t>(0, core.y0 - halo), std::max<int64_t>(0, core.x0 - halo),
                     std::min(h, core.y1 + halo), std::min(w, core.x1 + halo)};
  const auto cut = [&](const torch::Tensor& t) {
    return t.narrow(-2, outer.y0, outer.height()).narrow(-1, outer.x0, outer.width());
  };
  BlockPair block;
  block.reference = cut(reference).to(torch::kFloat64);
  block.candidate = cut(candidate).to(torch::kFloat64);
  block.valid = valid.defined() ? cut(valid).to(torch::kBool)
                                : torch::ones({outer.height(), outer.width()}, torch::kBool);
  block.y0 = outer.y0;
  block.x0 = outer.x0;
  block.core = {core.y0 - outer.y0, core.x0 - outer.x0, core.y1 - outer.y0, core.x1 - outer.x0};
  return block;
}

void require_halo(const BlockPair& block, const SceneShape& scene, int64_t halo, const char* metric) {
  const int64_t gy0 = block.y0 + block.core.y0, gx0 = block.x0 + block.core.x0;
  const int64_t gy1 = block.y0 + block.core.y1, gx1 = block.x0 + block.core.x1;
  const bool ok = block.y0 <= std::max<int64_t>(0, gy0 - halo) && block.x0 <= std::max<int64_t>(0, gx0 - halo) &&
                  block.y0 + block.height() >= std::min(scene.height, gy1 + halo) &&
                  block.x0 + block.width() >= std::min(scene.width, gx1 + halo);
  if (!ok) {
    throw std::runtime_error(std::string(metric) + ": block needs a halo of " + std::to_string(halo) + " pixels");
  }
}

}  // namespace geosr::eval
