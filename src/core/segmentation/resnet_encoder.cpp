// ResNet encoder in torchvision's layout (conv1/bn1, layer1..4 of BasicBlock or Bottleneck, each
// with conv1/bn1/..., downsample.0/.1), so that torchvision parameter names map one to one.

#include <stdexcept>

#include "geosr/core/segmentation/seg_net.hpp"

namespace geosr {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

nn::Sequential downsample(int64_t in, int64_t out, int64_t stride) {
  if (stride == 1 && in == out) return nullptr;
  return nn::Sequential(conv(in, out, 1, stride), nn::BatchNorm2d(out));
}

class BasicBlockImpl : public nn::Module {
 public:
  static constexpr int64_t kExpansion = 1;
  BasicBlockImpl(int64_t in, int64_t planes, int64_t stride)
      : conv1(register_module("conv1", conv(in, planes, 3, stride))),
        bn1(register_module("bn1", nn::BatchNorm2d(planes))),
        conv2(register_module("conv2", conv(planes, planes, 3))),
        bn2(register_module("bn2", nn::BatchNorm2d(planes))),
        shortcut(downsample(in, planes, stride)) {
    if (shortcut) register_module("downsample", shortcut);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = torch::relu(bn1(conv1(x)));
    y = bn2(conv2(y));
    return torch::relu(y + (shortcut ? shortcut->forward(x) : x));
  }

 private:
  nn::Conv2d conv1;
  nn::BatchNorm2d bn1;
  nn::Conv2d conv2;
  nn::BatchNorm2d bn2;
  nn::Sequential shortcut;
};
TORCH_MODULE(BasicBlock);

class BottleneckImpl : public nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  BottleneckImpl(int64_t in, int64_t planes, int64_t stride)
      : conv1(register_module("conv1", conv(in, planes, 1))),
        bn1(register_module("bn1", nn::BatchNorm2d(planes))),
        conv2(register_module("conv2", conv(planes, planes, 3, stride))),
        bn2(register_module("bn2", nn::BatchNorm2d(planes))),
        conv3(register_module("conv3", conv(planes, planes * kExpansion, 1))),
        bn3(register_module("bn3", nn::BatchNorm2d(planes * kExpansion))),
        shortcut(downsample(in, planes * kExpansion, stride)) {
    if (shortcut) register_module("downsample", shortcut);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = torch::relu(bn1(conv1(x)));
    y = torch::relu(bn2(conv2(y)));
    y = bn3(conv3(y));
    return torch::relu(y + (shortcut ? shortcut->forward(x) : x));
  }

 private:
  nn::Conv2d conv1;
  nn::BatchNorm2d bn1;
  nn::Conv2d conv2;
  nn::BatchNorm2d bn2;
  nn::Conv2d conv3;
  nn::BatchNorm2d bn3;
  nn::Sequential shortcut;
};
TORCH_MODULE(Bottleneck);

struct Layout {
  bool bottleneck;
  std::vector<int64_t> blocks;
};

Layout layout(int64_t depth) {
  switch (depth) {
    case 18: return {false, {2, 2, 2, 2}};
    case 34: return {false, {3, 4, 6, 3}};
    case 50: return {true, {3, 4, 6, 3}};
    case 101: return {true, {3, 4, 23, 3}};
    case 152: return {true, {3, 8, 36, 3}};
    default: throw std::runtime_error("unsupported ResNet depth " + std::to_string(depth) + " (18, 34, 50, 101, 152)");
  }
}

template <typename Block>
nn::Sequential stage(int64_t& in, int64_t planes, int64_t blocks, int64_t stride) {
  nn::Sequential s;
  for (int64_t i = 0; i < blocks; ++i) {
    s->push_back(Block(in, planes, i == 0 ? stride : 1));
    in = planes * Block::Impl::kExpansion;
  }
  return s;
}

}  // namespace

ResNetEncoderImpl::ResNetEncoderImpl(int64_t depth, int64_t in_channels, int64_t width) {
  const Layout l = layout(depth);
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(in_channels, width, 7).stride(2).padding(3).bias(false)));
  bn1 = register_module("bn1", nn::BatchNorm2d(width));
  channels_ = {width};
  int64_t in = width;
  nn::Sequential* stages[] = {&layer1, &layer2, &layer3, &layer4};
  for (size_t i = 0; i < 4; ++i) {
    const int64_t planes = width << i;
    const int64_t stride = i == 0 ? 1 : 2;
    *stages[i] = l.bottleneck ? stage<Bottleneck>(in, planes, l.blocks[i], stride)
                              : stage<BasicBlock>(in, planes, l.blocks[i], stride);
    register_module("layer" + std::to_string(i + 1), *stages[i]);
    channels_.push_back(in);
  }
}

std::vector<torch::Tensor> ResNetEncoderImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> features;
  auto y = torch::relu(bn1(conv1(x)));
  features.push_back(y);
  y = torch::max_pool2d(y, 3, 2, 1);
  for (auto* s : {&layer1, &layer2, &layer3, &layer4}) {
    y = (*s)->forward(y);
    features.push_back(y);
  }
  return features;
}

}  // namespace geosr
