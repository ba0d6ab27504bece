#pragma once
// Row and column indices of a batch of same-size regions, so that a whole batch of window crops is
// read with one indexing operation and a whole batch of contributions added with one index_put_:
// on an accelerator every LibTorch operation costs the host a dispatch, and per-window slicing
// made those, not the device, set the pace.

#include <vector>

#include <torch/torch.h>

#include "geosr/core/grid/window_grid.hpp"

namespace geosr {

struct RegionIndices {
  torch::Tensor rows;  // (n, h, 1) int64: region i's rows, minus the offset
  torch::Tensor cols;  // (n, 1, w) int64
};

// The regions must all be h x w; `y_offset` is subtracted from the rows (a band's or array's first
// row). On CUDA the indices are copied from pinned memory without making the host wait.
RegionIndices region_indices(const std::vector<Region>& regions, int64_t y_offset, torch::Device device);

}  // namespace geosr
