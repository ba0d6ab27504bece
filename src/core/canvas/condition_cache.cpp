#include "geosr/core/canvas/condition_cache.hpp"

#include <algorithm>
#include <stdexcept>

#include "geosr/core/canvas/region_indices.hpp"
#include "geosr/core/runtime.hpp"

namespace geosr {

ConditionCache::ConditionCache(ConditionSource& source, const WindowGrid& grid, Span rows,
                               std::unique_ptr<SceneArray> array)
    : array_(std::move(array)), first_row_(rows.begin) {
  if (!array_ || rows.begin < 0 || rows.end > grid.extent_height() || array_->height() != rows.size() ||
      array_->width() != grid.extent_width())
    throw std::runtime_error("condition cache: the array does not match the rows of the extent");
  for (int64_t y = rows.begin; y < rows.end; y += grid.window_size()) {
    const int64_t y1 = std::min(rows.end, y + grid.window_size());
    array_->write({y - first_row_, 0, y1 - first_row_, array_->width()},
                  source.read({y, 0, y1, grid.extent_width()}));
    array_->release_rows(y - first_row_, y1 - first_row_);
  }
  // The cubic resampling of full-width bands leaves a few hundred MiB of freed blocks in the heap
  // at 16,000 px wide; the steps' allocations would otherwise pile on top of them (measured:
  // 544 instead of 458 MiB peak RSS at 256 MP, mapped).
  release_free_heap();
}

torch::Tensor ConditionCache::read_windows(const std::vector<Region>& regions) {
  if (regions.empty()) throw std::runtime_error("condition cache: no regions");
  int64_t top = regions.front().y0;
  for (const Region& r : regions) {
    if (r.y0 < first_row_ || r.y1 > first_row_ + array_->height() || r.x0 < 0 || r.x1 > array_->width() ||
        r.empty())
      throw std::runtime_error("condition cache: region outside the cached rows");
    top = std::min(top, r.y0);
  }
  const int64_t local_top = top - first_row_;
  if (local_top < released_to_) released_to_ = 0;  // a new step starts from the top again
  array_->release_rows(released_to_, local_top);
  released_to_ = std::max(released_to_, local_top);
  return gather_regions(array_->data(), regions, first_row_);
}

Span window_rows(const WindowGrid& grid, int64_t first, int64_t last) {
  const auto& origins = grid.origins_y();
  last = std::min<int64_t>(last, static_cast<int64_t>(origins.size()));
  if (first < 0 || first >= last) throw std::runtime_error("window rows: no rows of windows in the range");
  return {origins[static_cast<size_t>(first)], origins[static_cast<size_t>(last - 1)] + grid.window_size()};
}

}  // namespace geosr
