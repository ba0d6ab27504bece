#pragma once
// Reduced-precision (bf16/fp16) autocast on CUDA for the duration of a scope. The autocast API changed in LibTorch 2.4
// (per-device setters); Debian ships 1.13 and the GPU machines 2.x, so both spellings are kept.

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace geosr {

class CudaAutocastGuard {
 public:
  explicit CudaAutocastGuard(bool enabled, at::ScalarType dtype = at::kBFloat16);
  ~CudaAutocastGuard();
  CudaAutocastGuard(const CudaAutocastGuard&) = delete;
  CudaAutocastGuard& operator=(const CudaAutocastGuard&) = delete;

 private:
  bool enabled_;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kHalf;
};

}  // namespace geosr
