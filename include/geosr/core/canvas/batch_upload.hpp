#pragma once
// Carries the window crops of a batch to the device the network runs on. From host memory to a
// CUDA device the crops are stacked in pinned (page-locked) memory and copied on a stream of their
// own, so the copy of one batch runs while the device still computes the previous one; the compute
// stream waits for that copy only. Elsewhere (CPU, or crops already on the device) it is a stack.

#include <optional>
#include <vector>

#include <c10/core/Stream.h>
#include <torch/torch.h>

namespace geosr {

class BatchUpload {
 public:
  explicit BatchUpload(torch::Device device);

  // (n, C, P, P) float32 on the device from n (C, P, P) crops.
  torch::Tensor operator()(const std::vector<torch::Tensor>& crops) const;

 private:
  torch::Device device_;
  std::optional<c10::Stream> copy_stream_;  // CUDA only
};

}  // namespace geosr
