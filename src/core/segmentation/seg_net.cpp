#include "geosr/core/segmentation/seg_net.hpp"

#include <stdexcept>

namespace geosr {
namespace {

namespace nn = torch::nn;

nn::Sequential conv_bn_relu(int64_t in, int64_t out) {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)), nn::BatchNorm2d(out),
                        nn::ReLU(nn::ReLUOptions(true)));
}

// Upsample x2, join the skip feature, two conv-BN-ReLU (segmentation_models_pytorch's DecoderBlock).
class DecoderBlockImpl : public nn::Module {
 public:
  DecoderBlockImpl(int64_t in, int64_t skip, int64_t out)
      : conv1(register_module("conv1", conv_bn_relu(in + skip, out))),
        conv2(register_module("conv2", conv_bn_relu(out, out))) {}
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& skip) {
    x = torch::nn::functional::interpolate(
        x, torch::nn::functional::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest));
    if (skip.defined()) x = torch::cat({x, skip}, 1);
    return conv2->forward(conv1->forward(x));
  }

 private:
  nn::Sequential conv1, conv2;
};
TORCH_MODULE(DecoderBlock);

}  // namespace

SegNetImpl::SegNetImpl(SegNetConfig config) : config_(std::move(config)) {
  config_.validate();
  encoder = register_module("encoder", ResNetEncoder(config_.depth, config_.in_channels, config_.width));
  decoder = register_module("decoder", nn::ModuleList());
  const auto& features = encoder->channels();  // strides 2 .. 32
  int64_t in = features.back();
  for (size_t i = 0; i < config_.decoder_channels.size(); ++i) {
    // Stage i brings stride 32 / 2^i up to 16 / 2^i and joins the encoder feature there (none at stride 1).
    const int64_t skip = i + 1 < features.size() ? features[features.size() - 2 - i] : 0;
    decoder->push_back(DecoderBlock(in, skip, config_.decoder_channels[i]));
    in = config_.decoder_channels[i];
  }
  head = register_module("head", nn::Conv2d(nn::Conv2dOptions(in, config_.classes, 3).padding(1)));
}

torch::Tensor SegNetImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != config_.in_channels)
    throw std::runtime_error("segmentation network expects (N, " + std::to_string(config_.in_channels) + ", H, W)");
  if (x.size(2) % kSegNetStride || x.size(3) % kSegNetStride)
    throw std::runtime_error("segmentation input sides must be multiples of " + std::to_string(kSegNetStride));
  const auto features = encoder->forward(x);
  auto y = features.back();
  for (size_t i = 0; i < decoder->size(); ++i) {
    const bool joined = i + 1 < features.size();  // the last stage has no encoder feature at its stride
    y = decoder[i]->as<DecoderBlock>()->forward(y, joined ? features[features.size() - 2 - i] : torch::Tensor());
  }
  return head(y);
}

}  // namespace geosr
