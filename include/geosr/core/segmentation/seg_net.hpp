#pragma once
// The downstream segmentation network: a U-Net whose encoder is a ResNet (18/34/50/101/152) with
// torchvision's layout and parameter names, so a user's ResNet weights can initialise it, and
// whose decoder is segmentation_models_pytorch's Unet decoder: five x2 upsampling stages, each
// joined with the encoder feature of the same stride, then a 3x3 head giving class logits.

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace geosr {

struct SegNetConfig {
  int64_t depth = 18;        // ResNet depth
  int64_t in_channels = 3;   // image bands
  int64_t classes = 2;       // background + classes
  int64_t width = 64;        // stem channels (torchvision: 64); stages have width x 1, 2, 4, 8 (x 4 for bottlenecks)
  std::vector<int64_t> decoder_channels = {256, 128, 64, 32, 16};

  // Throws std::runtime_error (one line) on an unsupported configuration.
  void validate() const;
  std::string to_json() const;
  static SegNetConfig from_json(const std::string& text);
};

// Input sides must be multiples of this (the encoder's total stride).
constexpr int64_t kSegNetStride = 32;

class ResNetEncoderImpl : public torch::nn::Module {
 public:
  ResNetEncoderImpl(int64_t depth, int64_t in_channels, int64_t width);
  // Features at strides 2, 4, 8, 16, 32.
  std::vector<torch::Tensor> forward(const torch::Tensor& x);
  const std::vector<int64_t>& channels() const { return channels_; }

 private:
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  std::vector<int64_t> channels_;
};
TORCH_MODULE(ResNetEncoder);

class SegNetImpl : public torch::nn::Module {
 public:
  explicit SegNetImpl(SegNetConfig config);
  // (N, in_channels, H, W) -> (N, classes, H, W) logits; H and W multiples of kSegNetStride.
  torch::Tensor forward(const torch::Tensor& x);
  const SegNetConfig& config() const { return config_; }

 private:
  SegNetConfig config_;
  ResNetEncoder encoder{nullptr};
  torch::nn::ModuleList decoder{nullptr};
  torch::nn::Conv2d head{nullptr};
};
TORCH_MODULE(SegNet);

}  // namespace geosr
