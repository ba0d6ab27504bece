#pragma once
// Pads a (..., H, W) raster at the bottom/right to (height, width) by mirror reflection about the
// last row/column (numpy "reflect"), repeated as often as needed, so even a 1-pixel-wide scene can
// fill a whole window.

#include <cstdint>

#include <torch/torch.h>

namespace geosr {

torch::Tensor reflect_pad(const torch::Tensor& raster, int64_t height, int64_t width);

// Source index (int64) of each of `padded` positions along an axis of `length`: reflect_pad's rule.
torch::Tensor reflected_indices(int64_t length, int64_t padded);

}  // namespace geosr
