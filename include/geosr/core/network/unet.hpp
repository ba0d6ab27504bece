#pragma once
// The SR3 U-Net, laid out module for module like the reference implementation
// (Janspiry, reused by InfScene-SR) so that its state-dict keys map one to one.

#include <string>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/network/unet_blocks.hpp"

namespace geosr {

struct UNetConfig {
  int in_channels = 6;   // condition and y_t concatenated (condition first)
  int out_channels = 3;  // predicted noise
  int inner_channels = 64;
  std::vector<int> channel_mults = {1, 2, 4, 8, 16};
  std::vector<int> attn_res = {};  // feature resolutions (image_size / 2^level) that get self-attention
  int res_blocks = 1;
  int norm_groups = 16;
  double dropout = 0.0;
  int image_size = 512;  // only used, as in the reference, to decide where attention goes

  // "paper" (64, [1,2,4,8,16], 1 block, 16 groups, no attention) and smaller CPU presets.
  static UNetConfig preset(const std::string& name, int image_channels = 3);
  static std::vector<std::string> preset_names();

  int image_channels() const { return out_channels; }
  // What image sides must be multiples of: each level but the last halves them.
  int64_t side_multiple() const { return int64_t{1} << (channel_mults.size() - 1); }
  std::string to_json() const;
  static UNetConfig from_json(const std::string& json);
};

class UNetImpl : public torch::nn::Module {
 public:
  explicit UNetImpl(const UNetConfig& config);
  // x: (N, in_channels, H, W) with H, W divisible by 2^(levels-1); noise_level: (N) = sqrt(gamma),
  // or (1) for one level shared by the batch.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& noise_level);
  const UNetConfig& config() const { return config_; }

 private:
  UNetConfig config_;
  // Registered with the reference names: noise_level_mlp, downs, mid, ups, final_conv.
  torch::nn::Sequential noise_level_mlp_{nullptr};
  torch::nn::ModuleList downs_{nullptr}, mid_{nullptr}, ups_{nullptr};
  Block final_conv_{nullptr};
};
TORCH_MODULE(UNet);

// The reference initialisation (networks.py, init_type "orthogonal"): orthogonal conv and linear
// weights with gain 1, zero biases; GroupNorm keeps weight 1, bias 0.
void init_orthogonal(UNet& model);

// Multiply-adds x 2 of every convolution, linear layer and attention product in one forward pass
// of an N x in_channels x height x width input (GroupNorm, activations and additions excluded,
// as in PyTorch's flop counter).
double unet_flops(const UNetConfig& config, int height, int width, int batch = 1);

}  // namespace geosr
