#pragma once
// Row and column indices of a batch of same-size regions, so that a whole batch of window crops is
// read with one indexing operation: on an accelerator every LibTorch operation costs the host a
// dispatch, and per-window slicing made those, not the device, set the pace.

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

// (n, C, h, w) contiguous copy of the regions of a (C, H, W) tensor in one indexing operation on
// its device, from indices made for it.
torch::Tensor index_regions(const torch::Tensor& data, const RegionIndices& at);

// The same from the regions, row `y_offset` of the regions being the tensor's row 0: one indexing
// operation on an accelerator, a copy per region on the CPU. The caller checks the bounds.
torch::Tensor gather_regions(const torch::Tensor& data, const std::vector<Region>& regions, int64_t y_offset);

}  // namespace geosr
