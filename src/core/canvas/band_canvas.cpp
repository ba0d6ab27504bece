#include "geosr/core/canvas/band_canvas.hpp"

#include <algorithm>
#include <stdexcept>

namespace geosr {

using torch::indexing::Slice;

BandCanvas::BandCanvas(std::unique_ptr<SceneArray> state, std::unique_ptr<SceneArray> scratch, int planes,
                       int64_t band_rows)
    : state_(std::move(state)), next_(std::move(scratch)) {
  if (!state_ || !next_ || state_->data().sizes() != next_->data().sizes())
    throw std::runtime_error("band canvas: state and scratch arrays must have the same shape");
  band_rows = std::min(band_rows, state_->height());
  band_ = torch::zeros({planes, state_->channels(), band_rows, state_->width()}, torch::kInt64);
}

torch::Tensor BandCanvas::read(const Region& region) { return state_->read(region); }

void BandCanvas::accumulate(const Region& region, const torch::Tensor& planes) {
  if (region.y0 < band_top_ || region.y1 > band_top_ + band_.size(2))
    throw std::runtime_error("band canvas: contribution outside the current band of rows");
  std::lock_guard<std::mutex> lock(mutex_);
  band_.index({Slice(), Slice(), Slice(region.y0 - band_top_, region.y1 - band_top_), Slice(region.x0, region.x1)})
      .add_(planes);
}

void BandCanvas::complete_rows_above(int64_t y, const Fuser& fuser) {
  y = std::min(y, state_->height());
  if (y <= band_top_) return;
  const int64_t rows = band_.size(2), done = y - band_top_;
  if (done > rows) throw std::runtime_error("band canvas: rows skipped past the band");
  const Region finished{band_top_, 0, y, state_->width()};
  next_->write(finished, fuser.finish(finished, band_.slice(2, 0, done)));
  next_->release_rows(finished.y0, finished.y1);
  state_->release_rows(finished.y0, finished.y1);  // y_t above the band is not read again this step
  // Shift the partial rows to the top of the band and clear the rest.
  if (done < rows) band_.slice(2, 0, rows - done).copy_(band_.slice(2, done, rows).clone());
  band_.slice(2, std::max<int64_t>(rows - done, 0), rows).zero_();
  band_top_ = y;
}

void BandCanvas::finish_step(const Fuser& fuser) {
  while (band_top_ < state_->height()) complete_rows_above(band_top_ + band_.size(2), fuser);
  std::swap(state_, next_);
  band_top_ = 0;
}

}  // namespace geosr
