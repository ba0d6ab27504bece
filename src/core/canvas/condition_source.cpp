#include "geosr/core/canvas/condition_source.hpp"

#include <algorithm>
#include <stdexcept>

#include "geosr/core/grid/reflect_pad.hpp"

namespace geosr {

torch::Tensor read_condition(const LrReader& reader, int64_t lr_height, int64_t lr_width, const WindowGrid& grid,
                             const Region& region) {
  const torch::Tensor rows = reflected_indices(grid.height(), region.y1).slice(0, region.y0);
  const torch::Tensor cols = reflected_indices(grid.width(), region.x1).slice(0, region.x0);
  const Span hr_rows{rows.min().item<int64_t>(), rows.max().item<int64_t>() + 1};
  const Span hr_cols{cols.min().item<int64_t>(), cols.max().item<int64_t>() + 1};
  const Span lr_rows = source_span(ResampleKernel::Cubic, lr_height, grid.height(), hr_rows);
  const Span lr_cols = source_span(ResampleKernel::Cubic, lr_width, grid.width(), hr_cols);
  const LrBlock lr = reader(lr_rows, lr_cols);
  const torch::Tensor block = masked_resample_block(lr.data.to(torch::kFloat32), lr.valid, ResampleKernel::Cubic,
                                                    lr_height, lr_width, lr_rows, lr_cols, grid.height(), grid.width(),
                                                    hr_rows, hr_cols);
  return block.index_select(1, rows - hr_rows.begin).index_select(2, cols - hr_cols.begin);
}

ConditionSource::ConditionSource(LrReader reader, int64_t lr_height, int64_t lr_width, const WindowGrid& grid)
    : reader_(std::move(reader)),
      lr_h_(lr_height),
      lr_w_(lr_width),
      height_(grid.height()),
      width_(grid.width()),
      band_rows_(std::max(grid.window_size(), grid.stride())),
      cols_(reflected_indices(grid.width(), grid.extent_width())) {}

void ConditionSource::load_rows(int64_t first) {
  const Span rows{first, std::min(height_, first + band_rows_)};
  const Span src_rows = source_span(ResampleKernel::Cubic, lr_h_, height_, rows);
  const LrBlock lr = reader_(src_rows, {0, lr_w_});
  band_ = masked_resample_block(lr.data.to(torch::kFloat32), lr.valid, ResampleKernel::Cubic, lr_h_, lr_w_, src_rows,
                                {0, lr_w_}, height_, width_, rows, {0, width_});
  band_top_ = first;
}

torch::Tensor ConditionSource::read(const Region& region) {
  const torch::Tensor rows = reflected_indices(height_, region.y1).slice(0, region.y0);
  const int64_t lo = rows.min().item<int64_t>(), hi = rows.max().item<int64_t>() + 1;
  if (hi - lo > band_rows_) throw std::runtime_error("condition source: region taller than a band");
  if (band_top_ < 0 || lo < band_top_ || hi > band_top_ + band_.size(1)) load_rows(lo);
  return band_.index_select(1, rows - band_top_).index_select(2, cols_.slice(0, region.x0, region.x1));
}

bool ConditionSource::any_valid(const Region& region) const {
  // The scene part of the region (padding only mirrors it), and every LR pixel the cubic condition
  // there reads: a superset of the pixels whose validity the output takes, so no valid output
  // pixel is ever in a skipped window.
  const int64_t y0 = std::min(region.y0, height_ - 1), y1 = std::max(std::min(region.y1, height_), y0 + 1);
  const int64_t x0 = std::min(region.x0, width_ - 1), x1 = std::max(std::min(region.x1, width_), x0 + 1);
  const Span rows = source_span(ResampleKernel::Cubic, lr_h_, height_, {y0, y1});
  const Span cols = source_span(ResampleKernel::Cubic, lr_w_, width_, {x0, x1});
  return reader_(rows, cols).valid.any().item<bool>();
}

}  // namespace geosr
