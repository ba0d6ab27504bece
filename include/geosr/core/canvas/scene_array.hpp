#pragma once
// Storage for one (C, H, W) float32 array of a scene (a diffusion state y_t): in accelerator memory
// when the scene fits there, in RAM, or in a memory-mapped file for scenes larger than RAM. The file is unlinked as soon as it is mapped, so
// a killed process leaves nothing behind; rows that are done with can be dropped from the process's
// resident set, which is what keeps RSS bounded however large the scene.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/grid/window_grid.hpp"

namespace geosr {

class SceneArray {
 public:
  static std::unique_ptr<SceneArray> in_memory(int64_t channels, int64_t height, int64_t width);
  // A sparse file in `directory` (created there, then unlinked), mapped shared.
  static std::unique_ptr<SceneArray> mapped(const std::string& directory, int64_t channels, int64_t height,
                                            int64_t width);
  // In the memory of `device` (an accelerator): reads and writes stay there.
  static std::unique_ptr<SceneArray> on_device(torch::Device device, int64_t channels, int64_t height, int64_t width);
  ~SceneArray();
  SceneArray(const SceneArray&) = delete;
  SceneArray& operator=(const SceneArray&) = delete;

  int64_t channels() const { return data_.size(0); }
  int64_t height() const { return data_.size(1); }
  int64_t width() const { return data_.size(2); }
  static double bytes_per_pixel(int64_t channels) { return 4.0 * static_cast<double>(channels); }

  // (C, h, w) copy of `region`, on the array's device.
  torch::Tensor read(const Region& region) const;
  // (n, C, h, w) copy of n same-size regions, in one indexing operation.
  torch::Tensor read_regions(const std::vector<Region>& regions) const;
  // Writes (C, h, w) values, from any device, into `region`.
  void write(const Region& region, const torch::Tensor& values);
  // The whole array as a tensor view (no copy).
  const torch::Tensor& data() const { return data_; }
  // Rows [y0, y1) will not be needed again soon: a mapped array gives their pages back to the
  // kernel (written back to the file, not lost); a RAM array ignores this.
  void release_rows(int64_t y0, int64_t y1);

 private:
  SceneArray() = default;
  torch::Tensor data_;
  void* mapping_ = nullptr;
  size_t mapping_bytes_ = 0;
};

}  // namespace geosr
