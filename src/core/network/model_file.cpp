#include "geosr/core/network/model_file.hpp"

#include <stdexcept>

#include "geosr/core/network/module_tensors.hpp"
#include "geosr/core/network/safetensors.hpp"

namespace geosr {
namespace {

const char* const kConfigKey = "geosr.unet";

}  // namespace

void save_model(const std::string& path, UNet& model, const Metadata& metadata) {
  TensorMap tensors = module_tensors(*model);
  Metadata all = metadata;
  all[kConfigKey] = model->config().to_json();
  write_safetensors(path, tensors, all);
}

UNet load_model(const std::string& path, Metadata* metadata) {
  SafetensorsContent content = read_safetensors(path);
  const auto config = content.metadata.find(kConfigKey);
  if (config == content.metadata.end())
    throw std::runtime_error(path + ": no " + kConfigKey +
                             " metadata (not a geosr model; convert checkpoints with tools/convert_checkpoint.py)");
  UNet model{nullptr};
  try {
    model = UNet(UNetConfig::from_json(config->second));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }

  load_module_tensors(*model, std::move(content.tensors), path);
  if (metadata) {
    *metadata = std::move(content.metadata);
    metadata->erase(kConfigKey);
  }
  return model;
}

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::Fp32;
  if (name == "bf16") return Precision::Bf16;
  if (name == "fp16") return Precision::Fp16;
  throw std::runtime_error("unknown precision '" + name + "' (fp32, bf16, fp16)");
}

}  // namespace geosr
