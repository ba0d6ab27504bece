#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "geosr/core/network/model_file.hpp"

namespace geosr {
namespace {

// CUDA autocast for the duration of one forward pass. The API moved to per-device-type calls in
// LibTorch 2.4 (the old calls are deprecated there), so both spellings are kept behind the version.
class CudaAutocast {
 public:
  explicit CudaAutocast(at::ScalarType dtype) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    was_enabled_ = at::autocast::is_autocast_enabled(at::kCUDA);
    previous_dtype_ = at::autocast::get_autocast_dtype(at::kCUDA);
    at::autocast::set_autocast_dtype(at::kCUDA, dtype);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    was_enabled_ = at::autocast::is_enabled();
    previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(true);
#endif
    at::autocast::increment_nesting();
  }
  ~CudaAutocast() {
    // Leaving the outermost region frees the cached low-precision copies of the weights.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(at::kCUDA, was_enabled_);
    at::autocast::set_autocast_dtype(at::kCUDA, previous_dtype_);
#else
    at::autocast::set_enabled(was_enabled_);
    at::autocast::set_autocast_gpu_dtype(previous_dtype_);
#endif
  }
  CudaAutocast(const CudaAutocast&) = delete;
  CudaAutocast& operator=(const CudaAutocast&) = delete;

 private:
  bool was_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

}  // namespace

Denoiser make_denoiser(UNet model, torch::Device device, Precision precision) {
  model->to(device);
  model->eval();
  // Every call sees the same window shape, so cuDNN's one-off autotuning pays for itself.
  if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
  // Reduced precision only pays on CUDA; LibTorch's CPU autocast is slower than fp32 there.
  const bool autocast = device.is_cuda() && precision != Precision::Fp32;
  const at::ScalarType dtype = precision == Precision::Fp16 ? at::kHalf : at::kBFloat16;
  return [model, device, autocast, dtype](const torch::Tensor& condition, const torch::Tensor& y_t,
                                          const torch::Tensor& noise_level) mutable {
    torch::NoGradGuard no_grad;
    const torch::Tensor x = torch::cat({condition, y_t}, 1).to(device, torch::kFloat32);
    const torch::Tensor level = noise_level.to(device, torch::kFloat32);
    if (!autocast) return model->forward(x, level);
    CudaAutocast guard(dtype);
    return model->forward(x, level).to(torch::kFloat32);
  };
}

}  // namespace geosr
