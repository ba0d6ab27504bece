#include "geosr/core/canvas/band_canvas.hpp"

#include <algorithm>
#include <stdexcept>

namespace geosr {

BandCanvas::BandCanvas(std::unique_ptr<SceneArray> state, std::unique_ptr<SceneArray> scratch, int planes,
                       int64_t band_rows, SharedRows shared, torch::Device device)
    : state_(std::move(state)), next_(std::move(scratch)), shared_(std::move(shared)) {
  if (!state_ || !next_ || state_->data().sizes() != next_->data().sizes())
    throw std::runtime_error("band canvas: state and scratch arrays must have the same shape");
  band_rows = std::min(band_rows, state_->height());
  if (shared_.top < 0 || shared_.bottom < 0 || shared_.top > band_rows || shared_.bottom > band_rows ||
      shared_.top + shared_.bottom > state_->height())
    throw std::runtime_error("band canvas: shared rows must fit in one band each and not overlap");
  const auto sums = torch::TensorOptions().dtype(torch::kInt64).device(device);
  band_ = torch::zeros({planes, state_->channels(), band_rows, state_->width()}, sums);
  held_ = torch::zeros({planes, state_->channels(), shared_.top, state_->width()}, sums);
  band_top_ = shared_.first_row;
}

Region BandCanvas::local(const Region& region) const {
  return {region.y0 - shared_.first_row, region.x0, region.y1 - shared_.first_row, region.x1};
}

torch::Tensor BandCanvas::read(const Region& region) { return state_->read(local(region)); }

void BandCanvas::check_in_band(const Region& region) const {
  if (region.y0 < band_top_ || region.y1 > band_top_ + band_.size(2))
    throw std::runtime_error("band canvas: contribution outside the current band of rows");
}

torch::Tensor BandCanvas::read_windows(const std::vector<Region>& footprints) {
  std::vector<Region> at;
  for (const Region& r : footprints) at.push_back(local(r));
  return state_->read_regions(at);
}

void BandCanvas::accumulate_windows(const std::vector<Region>& footprints, const AddToSums& add) {
  for (const Region& r : footprints) check_in_band(r);
  std::lock_guard<std::mutex> lock(mutex_);
  add(band_, band_top_);
}

void BandCanvas::finish_rows(int64_t y0, const torch::Tensor& sums, const Fuser& fuser) {
  const Region rows{y0, 0, y0 + sums.size(2), state_->width()};
  const Region at = local(rows);
  next_->write(at, fuser.finish(rows, sums));
  next_->release_rows(at.y0, at.y1);
  state_->release_rows(at.y0, at.y1);  // y_t above the band is not read again this step
}

void BandCanvas::complete_rows_above(int64_t y, const Fuser& fuser) {
  y = std::min(y, end_row() - shared_.bottom);
  if (y <= band_top_) return;
  const int64_t rows = band_.size(2), done = y - band_top_;
  if (done > rows) throw std::runtime_error("band canvas: rows skipped past the band");
  // Rows shared with the process above wait in `held_` for its sums; the rest are final.
  const int64_t held_end = std::min(y, shared_.first_row + shared_.top);
  if (band_top_ < held_end) {
    const int64_t n = held_end - band_top_, at = band_top_ - shared_.first_row;
    held_.slice(2, at, at + n).copy_(band_.slice(2, 0, n));
  }
  if (const int64_t from = std::max(band_top_, held_end); from < y)
    finish_rows(from, band_.slice(2, from - band_top_, done), fuser);
  // Shift the partial rows to the top of the band and clear the rest.
  if (done < rows) band_.slice(2, 0, rows - done).copy_(band_.slice(2, done, rows).clone());
  band_.slice(2, std::max<int64_t>(rows - done, 0), rows).zero_();
  band_top_ = y;
}

void BandCanvas::finish_step(const Fuser& fuser) {
  const int64_t stop = end_row() - shared_.bottom;
  while (band_top_ < stop) complete_rows_above(band_top_ + band_.size(2), fuser);
  if (shared_.top > 0 || shared_.bottom > 0) {
    torch::Tensor bottom = band_.slice(2, 0, shared_.bottom);
    if (shared_.exchange) {
      // The exchange sends host memory; on a CPU the tensors are the canvas's own.
      torch::Tensor top_sums = held_.cpu(), bottom_sums = bottom.cpu();
      shared_.exchange(top_sums, bottom_sums);
      held_.copy_(top_sums);
      bottom.copy_(bottom_sums);
    }
    if (shared_.top > 0) finish_rows(shared_.first_row, held_, fuser);
    if (shared_.bottom > 0) finish_rows(stop, bottom, fuser);
    held_.zero_();
    band_.zero_();
  }
  std::swap(state_, next_);
  band_top_ = shared_.first_row;
}

}  // namespace geosr
