#include "unet_plan.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace geosr {
namespace {

void check_groups(int channels, int groups) {
  if (channels % groups != 0)
    throw std::runtime_error("U-Net config: " + std::to_string(groups) + " GroupNorm groups do not divide " +
                             std::to_string(channels) + " channels");
}

}  // namespace

UNetPlan plan_unet(const UNetConfig& c) {
  if (c.in_channels <= 0 || c.out_channels <= 0 || c.inner_channels <= 0 || c.res_blocks <= 0 ||
      c.channel_mults.empty() || c.norm_groups <= 0 || c.image_size <= 0)
    throw std::runtime_error("U-Net config: channels, multipliers, res_blocks, norm_groups and image_size must be positive");
  const auto uses_attn = [&](int resolution) {
    return std::find(c.attn_res.begin(), c.attn_res.end(), resolution) != c.attn_res.end();
  };
  const int levels = static_cast<int>(c.channel_mults.size());
  UNetPlan plan;
  // Skip connections: every down layer's output is concatenated into one up block, last in first out.
  std::vector<int> skips = {c.inner_channels};
  plan.downs.push_back({LayerPlan::Kind::ConvIn, c.in_channels, c.inner_channels, false, 0});
  int channels = c.inner_channels;
  int resolution = c.image_size;
  for (int level = 0; level < levels; ++level) {
    const int width = c.inner_channels * c.channel_mults[level];
    for (int b = 0; b < c.res_blocks; ++b) {
      plan.downs.push_back({LayerPlan::Kind::Res, channels, width, uses_attn(resolution), level});
      channels = width;
      skips.push_back(channels);
    }
    if (level != levels - 1) {
      plan.downs.push_back({LayerPlan::Kind::Down, channels, channels, false, level + 1});
      skips.push_back(channels);
      resolution /= 2;
    }
  }
  plan.mid.push_back({LayerPlan::Kind::Res, channels, channels, true, levels - 1});
  plan.mid.push_back({LayerPlan::Kind::Res, channels, channels, false, levels - 1});
  for (int level = levels - 1; level >= 0; --level) {
    const int width = c.inner_channels * c.channel_mults[level];
    for (int b = 0; b < c.res_blocks + 1; ++b) {
      plan.ups.push_back({LayerPlan::Kind::Res, channels + skips.back(), width, uses_attn(resolution), level});
      skips.pop_back();
      channels = width;
    }
    if (level != 0) {
      plan.ups.push_back({LayerPlan::Kind::Up, channels, channels, false, level - 1});
      resolution *= 2;
    }
  }
  plan.final_in = channels;

  for (const auto* part : {&plan.downs, &plan.mid, &plan.ups})
    for (const LayerPlan& layer : *part)
      if (layer.kind == LayerPlan::Kind::Res) {
        check_groups(layer.in, c.norm_groups);
        check_groups(layer.out, c.norm_groups);
      }
  check_groups(plan.final_in, c.norm_groups);
  return plan;
}

}  // namespace geosr
