#pragma once
// The reference U-Net's channel bookkeeping, written once and shared by the module constructor
// and the analytic FLOP count, so the two cannot drift apart.

#include <vector>

#include "geosr/core/network/unet.hpp"

namespace geosr {

struct LayerPlan {
  enum class Kind { ConvIn, Res, Down, Up };
  Kind kind;
  int in = 0, out = 0;
  bool attn = false;
  int level = 0;  // feature map is (H, W) / 2^level at this layer's output
};

struct UNetPlan {
  std::vector<LayerPlan> downs, mid, ups;
  int final_in = 0;
};

// Throws std::runtime_error when the configuration cannot build (e.g. groups not dividing channels).
UNetPlan plan_unet(const UNetConfig& config);

}  // namespace geosr
