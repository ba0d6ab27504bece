#pragma once
// Carries the window crops of a batch to the device the network runs on. From host memory to a
// CUDA device the batch goes through pinned (page-locked) memory and is copied on a stream of its
// own, so the copy of one batch runs while the device still computes the previous one; the compute
// stream waits for that copy only. Elsewhere (CPU, or a batch already on the device) it is a cast.

#include <optional>

#include <c10/core/Stream.h>
#include <torch/torch.h>

namespace geosr {

class BatchUpload {
 public:
  explicit BatchUpload(torch::Device device);

  // The (n, C, P, P) batch as float32 on the device.
  torch::Tensor operator()(const torch::Tensor& batch) const;

 private:
  torch::Device device_;
  std::optional<c10::Stream> copy_stream_;  // CUDA only
};

}  // namespace geosr
