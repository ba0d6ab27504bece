#pragma once
// Where the scene's state lives during joint denoising. The window step logic only reads y_t over
// a window and adds contributions to an accumulator, so an out-of-core canvas (tiles on disk) can
// replace the in-memory one without touching it.

#include <functional>
#include <mutex>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/fusion/fuser.hpp"
#include "geosr/core/grid/window_grid.hpp"

namespace geosr {

// Reads a (C, h, w) float32 region of a raster in grid coordinates (e.g. the condition).
using RegionReader = std::function<torch::Tensor(const Region&)>;
// Reads n same-size regions (a batch of window footprints) as (n, C, h, w) float32, in one go.
using WindowsReader = std::function<torch::Tensor(const std::vector<Region>&)>;

class Canvas {
 public:
  virtual ~Canvas() = default;
  // y_t over `region`, (C, h, w) float32.
  virtual torch::Tensor read(const Region& region) = 0;
  // Adds fixed-point planes (planes, C, h, w) int64 to the accumulator over `region`. Safe to call
  // from several threads; the result does not depend on the order of calls.
  virtual void accumulate(const Region& region, const torch::Tensor& planes) = 0;
  // Replaces y_t by y_{t-1} = fuser.finish(accumulator) and clears the accumulator.
  virtual void finish_step(const Fuser& fuser) = 0;
  // Where the accumulator lives: contributions computed elsewhere are moved there once per batch.
  virtual torch::Device device() const { return torch::kCPU; }

  // The same for a batch of same-size window footprints: y_t as (n, C, h, w), and contributions
  // (n, planes, C, h, w) added. By default window by window; a canvas may do it in one operation.
  virtual torch::Tensor read_windows(const std::vector<Region>& footprints);
  virtual void accumulate_windows(const std::vector<Region>& footprints, const torch::Tensor& planes);
};

// The whole extent in RAM: y (C, H, W) float32 plus the int64 accumulator planes.
class MemoryCanvas : public Canvas {
 public:
  MemoryCanvas(torch::Tensor initial, int planes);

  torch::Tensor read(const Region& region) override;
  void accumulate(const Region& region, const torch::Tensor& planes) override;
  void finish_step(const Fuser& fuser) override;

  const torch::Tensor& state() const { return state_; }

 private:
  torch::Tensor state_;        // (C, H, W) float32
  torch::Tensor accumulator_;  // (planes, C, H, W) int64
  std::mutex mutex_;
};

// Reads batches of regions of an in-memory (C, H, W) tensor.
WindowsReader tensor_reader(torch::Tensor raster);

}  // namespace geosr
