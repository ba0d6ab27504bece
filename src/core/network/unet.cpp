#include "geosr/core/network/unet.hpp"

#include <stdexcept>

#include "unet_plan.hpp"

namespace geosr {
namespace nn = torch::nn;

namespace {

std::shared_ptr<nn::Module> make_layer(const LayerPlan& layer, const UNetConfig& c) {
  switch (layer.kind) {
    case LayerPlan::Kind::ConvIn:
      return nn::Conv2d(nn::Conv2dOptions(layer.in, layer.out, 3).padding(1)).ptr();
    case LayerPlan::Kind::Res:
      return ResnetBlocWithAttn(layer.in, layer.out, c.inner_channels, c.norm_groups, c.dropout, layer.attn).ptr();
    case LayerPlan::Kind::Down:
      return Downsample(layer.in).ptr();
    case LayerPlan::Kind::Up:
      return Upsample(layer.in).ptr();
  }
  throw std::logic_error("unknown layer kind");
}

nn::ModuleList make_layers(const std::vector<LayerPlan>& layers, const UNetConfig& c) {
  nn::ModuleList list;
  for (const LayerPlan& layer : layers) list->push_back(make_layer(layer, c));
  return list;
}

// Layers without the noise embedding; the plan guarantees these are the only other kinds.
torch::Tensor forward_plain(const std::shared_ptr<nn::Module>& layer, const torch::Tensor& x) {
  if (auto* conv = layer->as<nn::Conv2dImpl>()) return conv->forward(x);
  if (auto* down = layer->as<DownsampleImpl>()) return down->forward(x);
  return layer->as<UpsampleImpl>()->forward(x);
}

}  // namespace

UNetImpl::UNetImpl(const UNetConfig& config) : config_(config) {
  const UNetPlan plan = plan_unet(config_);
  const int dim = config_.inner_channels;
  // Index 0 (encoding) and 2 (Swish) hold no weights, so the linears sit at the reference's 1 and 3.
  noise_level_mlp_ = register_module(
      "noise_level_mlp",
      nn::Sequential(nn::Functional([dim](const torch::Tensor& level) { return noise_level_encoding(level, dim); }),
                     nn::Linear(dim, dim * 4), nn::Functional([](const torch::Tensor& x) { return torch::silu(x); }),
                     nn::Linear(dim * 4, dim)));
  downs_ = register_module("downs", make_layers(plan.downs, config_));
  mid_ = register_module("mid", make_layers(plan.mid, config_));
  ups_ = register_module("ups", make_layers(plan.ups, config_));
  final_conv_ = register_module("final_conv", Block(plan.final_in, config_.out_channels, config_.norm_groups, 0.0));
}

torch::Tensor UNetImpl::forward(const torch::Tensor& x, const torch::Tensor& noise_level) {
  const int64_t multiple = config_.side_multiple();
  if (x.dim() != 4 || x.size(1) != config_.in_channels || x.size(2) % multiple || x.size(3) % multiple)
    throw std::runtime_error("U-Net input must be (N, " + std::to_string(config_.in_channels) +
                             ", H, W) with H and W multiples of " + std::to_string(multiple));
  const torch::Tensor level = noise_level.reshape({-1}).to(x.options());
  if (level.numel() != 1 && level.numel() != x.size(0))
    throw std::runtime_error("U-Net needs one noise level, or one per batch item, got " +
                             std::to_string(level.numel()) + " for " + std::to_string(x.size(0)));
  // One level shared by the batch (sampling) is embedded once and broadcast in every block: the
  // embedding's matrix products then have one shape whatever the batch, and so one rounding
  // (MKL's sgemm rounds a row of a 2-row product differently from one of 3 or more rows).
  const torch::Tensor embedding = noise_level_mlp_->forward(level);

  std::vector<torch::Tensor> feats;
  torch::Tensor h = x;
  for (const auto& layer : *downs_) {
    if (auto* block = layer->as<ResnetBlocWithAttnImpl>())
      h = block->forward(h, embedding);
    else
      h = forward_plain(layer, h);
    feats.push_back(h);
  }
  for (const auto& layer : *mid_) h = layer->as<ResnetBlocWithAttnImpl>()->forward(h, embedding);
  for (const auto& layer : *ups_) {
    if (auto* block = layer->as<ResnetBlocWithAttnImpl>()) {
      h = block->forward(torch::cat({h, feats.back()}, 1), embedding);
      feats.pop_back();
    } else {
      h = forward_plain(layer, h);
    }
  }
  return final_conv_->forward(h);
}

void init_orthogonal(UNet& model) {
  torch::NoGradGuard no_grad;
  for (const auto& module : model->modules()) {
    torch::Tensor weight, bias;
    if (auto* conv = module->as<nn::Conv2dImpl>()) {
      weight = conv->weight;
      bias = conv->bias;
    } else if (auto* linear = module->as<nn::LinearImpl>()) {
      weight = linear->weight;
      bias = linear->bias;
    } else {
      continue;
    }
    nn::init::orthogonal_(weight, 1.0);
    if (bias.defined()) bias.zero_();
  }
}

double unet_flops(const UNetConfig& config, int height, int width, int batch) {
  const UNetPlan plan = plan_unet(config);
  const double emb = config.inner_channels;
  const auto pixels = [&](int level) {
    return static_cast<double>(height >> level) * static_cast<double>(width >> level);
  };
  const auto layer_flops = [&](const LayerPlan& l) {
    const double hw = pixels(l.level), in = l.in, out = l.out;
    switch (l.kind) {
      case LayerPlan::Kind::ConvIn:
      case LayerPlan::Kind::Down:
      case LayerPlan::Kind::Up:
        return 2.0 * in * out * 9.0 * hw;
      case LayerPlan::Kind::Res: {
        double f = 2.0 * in * out * 9.0 * hw + 2.0 * out * out * 9.0 * hw + 2.0 * emb * out;
        if (l.in != l.out) f += 2.0 * in * out * hw;
        // qkv and output projections, then the two (hw x hw x c) products.
        if (l.attn) f += 2.0 * out * 4.0 * out * hw + 4.0 * hw * hw * out;
        return f;
      }
    }
    return 0.0;
  };
  double total = 2.0 * emb * 4.0 * emb * 2.0;  // noise-level MLP
  for (const auto* part : {&plan.downs, &plan.mid, &plan.ups})
    for (const LayerPlan& l : *part) total += layer_flops(l);
  total += 2.0 * plan.final_in * config.out_channels * 9.0 * pixels(0);
  return total * batch;
}

}  // namespace geosr
