#pragma once
// The canvas of the streaming processor. y_t and y_{t-1} are two SceneArrays (RAM or memory-mapped,
// ping-pong: y_t is only read during a step, so the last completed step is intact at any moment,
// which is what checkpoints and interruptions rely on). The fixed-point accumulator covers a band
// of rows only: windows are visited row of windows by row of windows, and once a row of windows is
// done every pixel above the next row's top has all its contributions, so those rows are finished
// into y_{t-1} and the band moves down. Memory: one band of accumulator whatever the scene height.
//
// In a distributed run each process holds the rows its windows cover (from `first_row` of the
// grid); the rows at its top and bottom that the neighbouring processes' windows also cover get
// contributions from both, so their sums are held back until the end of the step, when `exchange`
// adds the neighbours' sums to them. Fixed-point sums make the result the single-process one.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "geosr/core/canvas/canvas.hpp"
#include "geosr/core/canvas/scene_array.hpp"

namespace geosr {

struct SharedRows {
  int64_t first_row = 0;       // grid row of the arrays' row 0
  int64_t top = 0, bottom = 0;  // rows at the top / bottom of the arrays shared with other processes
  // Adds the other processes' sums to top (planes, C, top, W) and bottom (planes, C, bottom, W).
  std::function<void(torch::Tensor& top, torch::Tensor& bottom)> exchange;
};

class BandCanvas : public Canvas {
 public:
  // `state` holds y_t of the first step to run, `scratch` has the same shape; band_rows is the
  // window size (the rows one row of windows touches). Regions are in grid coordinates. The
  // accumulator lives on `device`, where the contributions are computed, whatever the arrays' place:
  // only finished rows then cross to the arrays, once per row of windows.
  BandCanvas(std::unique_ptr<SceneArray> state, std::unique_ptr<SceneArray> scratch, int planes, int64_t band_rows,
             SharedRows shared = {}, torch::Device device = torch::kCPU);

  torch::Tensor read(const Region& region) override;
  void finish_step(const Fuser& fuser) override;
  torch::Device device() const override { return band_.device(); }
  // One gather per batch.
  torch::Tensor read_windows(const std::vector<Region>& footprints) override;
  // The footprints must lie inside the current band (rows [band_top, band_top + band_rows)).
  void accumulate_windows(const std::vector<Region>& footprints, const AddToSums& add) override;

  // Rows above `y` have all their contributions: finish them into y_{t-1} and move the band to y.
  void complete_rows_above(int64_t y, const Fuser& fuser);

  // y_t: the state at the start of the current step (the last completed one).
  SceneArray& state() { return *state_; }
  static double accumulator_bytes(int planes, int64_t channels, int64_t band_rows, int64_t width) {
    return 8.0 * planes * static_cast<double>(channels * band_rows * width);
  }

 private:
  Region local(const Region& region) const;
  void check_in_band(const Region& region) const;
  void finish_rows(int64_t y0, const torch::Tensor& sums, const Fuser& fuser);
  int64_t end_row() const { return shared_.first_row + state_->height(); }

  std::unique_ptr<SceneArray> state_, next_;
  SharedRows shared_;
  torch::Tensor band_;  // (planes, C, band_rows, W) int64
  torch::Tensor held_;  // (planes, C, shared.top, W) int64: the top shared rows' sums until the exchange
  int64_t band_top_ = 0;  // grid row
  std::mutex mutex_;
};

}  // namespace geosr
