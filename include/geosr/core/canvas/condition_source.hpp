#pragma once
// The SR3 condition (cubic upsampling of the LR raster) computed band by band on demand, so a scene
// of any size never has its whole condition in memory. Bands span the full width and follow the
// row-major window order of the streaming sampler; where the window grid's extent is larger than
// the scene the condition is reflected, exactly as reflect_pad does for the in-memory sampler.

#include <cstdint>
#include <functional>

#include <torch/torch.h>

#include "geosr/core/grid/window_grid.hpp"
#include "geosr/core/resample/resample.hpp"

namespace geosr {

struct LrBlock {
  torch::Tensor data;   // (C, h, w) float32 in the network's range
  torch::Tensor valid;  // (h, w) bool
};
// Rows x cols of the LR raster.
using LrReader = std::function<LrBlock(Span rows, Span cols)>;

// The condition over any `region` of the grid's extent in one read (a block of the GDAL driver):
// the values ConditionSource gives there.
torch::Tensor read_condition(const LrReader& reader, int64_t lr_height, int64_t lr_width, const WindowGrid& grid,
                             const Region& region);

class ConditionSource {
 public:
  // The grid's scene is the HR grid of the lr_height x lr_width raster.
  ConditionSource(LrReader reader, int64_t lr_height, int64_t lr_width, const WindowGrid& grid);

  // Condition over `region` of the grid's extent, (C, h, w) float32.
  torch::Tensor read(const Region& region);
  // Whether any LR pixel under `region` of the extent is valid (NoData windows are skipped).
  bool any_valid(const Region& region) const;

 private:
  void load_rows(int64_t first);

  LrReader reader_;
  int64_t lr_h_, lr_w_;
  int64_t height_, width_;  // the HR scene
  int64_t band_rows_;
  torch::Tensor cols_;      // extent column -> scene column
  int64_t band_top_ = -1;
  torch::Tensor band_;      // condition rows [band_top_, band_top_ + band.size(1)) of the scene
};

}  // namespace geosr
