#include "geosr/core/network/unet_blocks.hpp"

#include <cmath>

namespace geosr {
namespace nn = torch::nn;

namespace {
nn::Conv2d conv3x3(int in, int out, int stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}
}  // namespace

BlockImpl::BlockImpl(int dim, int dim_out, int groups, double dropout) {
  block = nn::Sequential(nn::GroupNorm(nn::GroupNormOptions(groups, dim)),
                         nn::Functional([](const torch::Tensor& x) { return torch::silu(x); }));
  // Dropout and Identity hold no weights; they are there so the conv keeps the reference index 3.
  if (dropout != 0.0)
    block->push_back(nn::Dropout(dropout));
  else
    block->push_back(nn::Identity());
  block->push_back(conv3x3(dim, dim_out));
  register_module("block", block);
}

FeatureWiseAffineImpl::FeatureWiseAffineImpl(int embed_dim, int channels) {
  noise_func = register_module("noise_func", nn::Sequential(nn::Linear(embed_dim, channels)));
}

torch::Tensor FeatureWiseAffineImpl::forward(const torch::Tensor& x, const torch::Tensor& embedding) {
  return x + noise_func->forward(embedding).unsqueeze(-1).unsqueeze(-1);
}

ResnetBlockImpl::ResnetBlockImpl(int dim, int dim_out, int embed_dim, int groups, double dropout) {
  noise_func = register_module("noise_func", FeatureWiseAffine(embed_dim, dim_out));
  block1 = register_module("block1", Block(dim, dim_out, groups, 0.0));
  block2 = register_module("block2", Block(dim_out, dim_out, groups, dropout));
  if (dim != dim_out)
    res_conv = nn::AnyModule(nn::Conv2d(nn::Conv2dOptions(dim, dim_out, 1)));
  else
    res_conv = nn::AnyModule(nn::Identity());
  register_module("res_conv", res_conv.ptr());
}

torch::Tensor ResnetBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& embedding) {
  torch::Tensor h = block1->forward(x);
  h = noise_func->forward(h, embedding);
  h = block2->forward(h);
  return h + res_conv.forward(x);
}

SelfAttentionImpl::SelfAttentionImpl(int channels, int groups) {
  norm = register_module("norm", nn::GroupNorm(nn::GroupNormOptions(groups, channels)));
  qkv = register_module("qkv", nn::Conv2d(nn::Conv2dOptions(channels, channels * 3, 1).bias(false)));
  out = register_module("out", nn::Conv2d(nn::Conv2dOptions(channels, channels, 1)));
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  // qkv channels are [query | key | value], each c wide (the reference's single head).
  const auto parts = qkv->forward(norm->forward(x)).view({n, 3, c, h * w}).unbind(1);
  const torch::Tensor scores =
      torch::bmm(parts[0].transpose(1, 2), parts[1]) / std::sqrt(static_cast<double>(c));  // (n, hw, hw)
  const torch::Tensor attn = torch::softmax(scores, -1);
  const torch::Tensor mixed = torch::bmm(parts[2], attn.transpose(1, 2));  // (n, c, hw)
  return out->forward(mixed.view({n, c, h, w})) + x;
}

ResnetBlocWithAttnImpl::ResnetBlocWithAttnImpl(int dim, int dim_out, int embed_dim, int groups,
                                               double dropout, bool with_attn) {
  res_block = register_module("res_block", ResnetBlock(dim, dim_out, embed_dim, groups, dropout));
  if (with_attn) attn = register_module("attn", SelfAttention(dim_out, groups));
}

torch::Tensor ResnetBlocWithAttnImpl::forward(const torch::Tensor& x, const torch::Tensor& embedding) {
  torch::Tensor h = res_block->forward(x, embedding);
  return attn ? attn->forward(h) : h;
}

DownsampleImpl::DownsampleImpl(int dim) { conv = register_module("conv", conv3x3(dim, dim, 2)); }

UpsampleImpl::UpsampleImpl(int dim) { conv = register_module("conv", conv3x3(dim, dim)); }

torch::Tensor UpsampleImpl::forward(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  return conv->forward(F::interpolate(
      x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest)));
}

torch::Tensor noise_level_encoding(const torch::Tensor& level, int dim) {
  // Same operation order as the reference so float results agree to the last bits.
  const int64_t count = dim / 2;
  const torch::Tensor step = torch::arange(count, level.options()) / count;
  const torch::Tensor encoding = level.reshape({-1, 1}) * torch::exp(-std::log(1e4) * step.unsqueeze(0));
  return torch::cat({torch::sin(encoding), torch::cos(encoding)}, -1);
}

}  // namespace geosr
