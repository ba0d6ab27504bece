#include <stdexcept>

#include "geosr/core/network/unet.hpp"
#include "json.hpp"

namespace geosr {
namespace {

std::vector<int> read_int_list(const json::Value& value) {
  std::vector<int> out;
  for (const auto& v : value.as_array()) out.push_back(static_cast<int>(v.as_integer()));
  return out;
}

}  // namespace

UNetConfig UNetConfig::preset(const std::string& name, int image_channels) {
  UNetConfig c;
  c.in_channels = 2 * image_channels;
  c.out_channels = image_channels;
  if (name == "paper") {
    c.inner_channels = 64;
    c.channel_mults = {1, 2, 4, 8, 16};
    c.norm_groups = 16;
    c.image_size = 512;
  } else if (name == "small") {  // trainable on a CPU in hours
    c.inner_channels = 32;
    c.channel_mults = {1, 2, 4, 8};
    c.norm_groups = 8;
    c.image_size = 128;
  } else if (name == "tiny") {  // for tests and demos: seconds per step on a CPU
    c.inner_channels = 16;
    c.channel_mults = {1, 2, 2, 4};
    c.norm_groups = 8;
    c.image_size = 64;
  } else {
    throw std::runtime_error("unknown U-Net preset '" + name + "' (paper, small, tiny)");
  }
  c.res_blocks = 1;
  c.attn_res = {};
  c.dropout = 0.0;
  return c;
}

std::vector<std::string> UNetConfig::preset_names() { return {"paper", "small", "tiny"}; }

std::string UNetConfig::to_json() const {
  return "{\"in_channels\":" + std::to_string(in_channels) + ",\"out_channels\":" + std::to_string(out_channels) +
         ",\"inner_channels\":" + std::to_string(inner_channels) + ",\"channel_mults\":" + json::number_array(channel_mults) +
         ",\"attn_res\":" + json::number_array(attn_res) + ",\"res_blocks\":" + std::to_string(res_blocks) +
         ",\"norm_groups\":" + std::to_string(norm_groups) + ",\"dropout\":" + json::number(dropout) +
         ",\"image_size\":" + std::to_string(image_size) + "}";
}

UNetConfig UNetConfig::from_json(const std::string& text) {
  try {
    const json::Value root = json::parse(text);
    UNetConfig c;
    c.in_channels = static_cast<int>(root.at("in_channels").as_integer());
    c.out_channels = static_cast<int>(root.at("out_channels").as_integer());
    c.inner_channels = static_cast<int>(root.at("inner_channels").as_integer());
    c.channel_mults = read_int_list(root.at("channel_mults"));
    c.attn_res = read_int_list(root.at("attn_res"));
    c.res_blocks = static_cast<int>(root.at("res_blocks").as_integer());
    c.norm_groups = static_cast<int>(root.at("norm_groups").as_integer());
    c.dropout = root.at("dropout").as_number();
    c.image_size = static_cast<int>(root.at("image_size").as_integer());
    return c;
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("bad U-Net configuration: ") + e.what());
  }
}

}  // namespace geosr
