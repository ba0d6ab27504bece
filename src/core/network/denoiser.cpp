#include "geosr/core/network/autocast_guard.hpp"
#include "geosr/core/network/model_file.hpp"

namespace geosr {

Denoiser make_denoiser(UNet model, torch::Device device, Precision precision) {
  model->to(device);
  model->eval();
  // cuDNN's autotuning picks each convolution's algorithm by timing them, so two processes can
  // pick differently and differ in the last bits: a resumed run would no longer give the
  // uninterrupted run's bytes, nor a seed the same bytes twice. Its heuristic choice is a function
  // of the shapes and the GPU, and it also saves the autotuning of every new batch shape.
  if (device.is_cuda()) {
    at::globalContext().setBenchmarkCuDNN(false);
    at::globalContext().setDeterministicCuDNN(true);
  }
  // Reduced precision only pays on CUDA; LibTorch's CPU autocast is slower than fp32 there.
  const bool autocast = device.is_cuda() && precision != Precision::Fp32;
  const at::ScalarType dtype = precision == Precision::Fp16 ? at::kHalf : at::kBFloat16;
  return [model, device, autocast, dtype](const torch::Tensor& condition, const torch::Tensor& y_t,
                                          const torch::Tensor& noise_level) mutable {
    torch::NoGradGuard no_grad;
    const torch::Tensor x = torch::cat({condition, y_t}, 1).to(device, torch::kFloat32);
    const torch::Tensor level = noise_level.to(device, torch::kFloat32);
    CudaAutocastGuard guard(autocast, dtype);
    return model->forward(x, level).to(torch::kFloat32);
  };
}

}  // namespace geosr
