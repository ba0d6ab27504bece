#pragma once
// The condition of a run computed once, before the first step, into an array where the canvas plan
// puts it (accelerator memory, RAM or a memory-mapped file). Every step then reads a batch's crops
// with one gather instead of resampling the LR raster again (which took half the steps' time with
// a free network), and on the accelerator nothing crosses the bus. A process of a distributed run
// keeps only the rows its own windows cover.

#include <cstdint>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/canvas/condition_source.hpp"
#include "geosr/core/canvas/scene_array.hpp"

namespace geosr {

class ConditionCache {
 public:
  // The condition over rows `rows` of the grid's extent, written band by band from `source` into
  // `array`, which must be (C, rows, extent width).
  ConditionCache(ConditionSource& source, const WindowGrid& grid, Span rows, std::unique_ptr<SceneArray> array);

  // (n, C, h, w) over a batch of same-size regions of the extent inside the rows. The streaming
  // sampler reads top to bottom within a step, so rows above a batch are given back to the kernel
  // (a mapped array's resident set stays one band) until a read goes up again.
  torch::Tensor read_windows(const std::vector<Region>& regions);

  const SceneArray& array() const { return *array_; }
  Span rows() const { return {first_row_, first_row_ + array_->height()}; }

 private:
  std::unique_ptr<SceneArray> array_;
  int64_t first_row_;
  int64_t released_to_ = 0;  // local rows [0, released_to_) given back since the last read upwards
};

// Rows of the extent covered by the windows of rows of windows [first, last) (clamped to the grid).
Span window_rows(const WindowGrid& grid, int64_t first, int64_t last);

}  // namespace geosr
