#include <stdexcept>

#include "../network/json.hpp"
#include "geosr/core/segmentation/seg_net.hpp"

namespace geosr {

void SegNetConfig::validate() const {
  if (depth != 18 && depth != 34 && depth != 50 && depth != 101 && depth != 152)
    throw std::runtime_error("unsupported ResNet depth " + std::to_string(depth) + " (18, 34, 50, 101, 152)");
  if (in_channels < 1) throw std::runtime_error("the segmentation network needs at least one band");
  if (classes < 2 || classes > 256) throw std::runtime_error("segmentation classes must be 2 .. 256");
  if (width < 1) throw std::runtime_error("the encoder width must be positive");
  if (decoder_channels.size() != 5) throw std::runtime_error("the decoder needs 5 stages of channels");
  for (auto c : decoder_channels)
    if (c < 1) throw std::runtime_error("decoder channels must be positive");
}

std::string SegNetConfig::to_json() const {
  return "{\"encoder\":\"resnet" + std::to_string(depth) + "\",\"depth\":" + std::to_string(depth) +
         ",\"in_channels\":" + std::to_string(in_channels) + ",\"classes\":" + std::to_string(classes) +
         ",\"width\":" + std::to_string(width) + ",\"decoder_channels\":" + json::number_array(decoder_channels) + "}";
}

SegNetConfig SegNetConfig::from_json(const std::string& text) {
  const json::Value v = json::parse(text);
  SegNetConfig c;
  c.depth = v.at("depth").as_integer();
  c.in_channels = v.at("in_channels").as_integer();
  c.classes = v.at("classes").as_integer();
  c.width = v.at("width").as_integer();
  c.decoder_channels.clear();
  for (const auto& d : v.at("decoder_channels").as_array()) c.decoder_channels.push_back(d.as_integer());
  c.validate();
  return c;
}

}  // namespace geosr
