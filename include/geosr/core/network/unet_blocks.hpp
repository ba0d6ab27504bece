#pragma once
// The building blocks of the SR3 U-Net. Member names are the reference's attribute names, because
// they become the state-dict keys (block.{0,3}, noise_func.noise_func.0, res_conv, attn.{norm,qkv,out}).

#include <torch/torch.h>

namespace geosr {

// GroupNorm, Swish, Dropout (Identity when 0), 3x3 conv: indices 0 and 3 hold the weights.
class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(int dim, int dim_out, int groups, double dropout);
  torch::Tensor forward(const torch::Tensor& x) { return block->forward(x); }
  torch::nn::Sequential block{nullptr};
};
TORCH_MODULE(Block);

// Adds a per-channel projection of the noise-level embedding.
class FeatureWiseAffineImpl : public torch::nn::Module {
 public:
  FeatureWiseAffineImpl(int embed_dim, int channels);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& embedding);
  torch::nn::Sequential noise_func{nullptr};
};
TORCH_MODULE(FeatureWiseAffine);

class ResnetBlockImpl : public torch::nn::Module {
 public:
  ResnetBlockImpl(int dim, int dim_out, int embed_dim, int groups, double dropout);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& embedding);
  FeatureWiseAffine noise_func{nullptr};
  Block block1{nullptr}, block2{nullptr};
  torch::nn::AnyModule res_conv;  // 1x1 conv when the channel count changes, else Identity
};
TORCH_MODULE(ResnetBlock);

// Single-head self-attention over all pixels, with the residual added.
class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(int channels, int groups);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::GroupNorm norm{nullptr};
  torch::nn::Conv2d qkv{nullptr}, out{nullptr};
};
TORCH_MODULE(SelfAttention);

class ResnetBlocWithAttnImpl : public torch::nn::Module {
 public:
  ResnetBlocWithAttnImpl(int dim, int dim_out, int embed_dim, int groups, double dropout, bool with_attn);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& embedding);
  ResnetBlock res_block{nullptr};
  SelfAttention attn{nullptr};  // null without attention
};
TORCH_MODULE(ResnetBlocWithAttn);

// Stride-2 3x3 conv.
class DownsampleImpl : public torch::nn::Module {
 public:
  explicit DownsampleImpl(int dim);
  torch::Tensor forward(const torch::Tensor& x) { return conv->forward(x); }
  torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(Downsample);

// Nearest-neighbour x2, then a 3x3 conv.
class UpsampleImpl : public torch::nn::Module {
 public:
  explicit UpsampleImpl(int dim);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(Upsample);

// The sinusoidal encoding of the noise level (WaveGrad's, as the reference uses it).
torch::Tensor noise_level_encoding(const torch::Tensor& level, int dim);

}  // namespace geosr
