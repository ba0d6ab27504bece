#include "geosr/core/network/model_file.hpp"

#include <stdexcept>

#include "geosr/core/network/safetensors.hpp"

namespace geosr {
namespace {

const char* const kConfigKey = "geosr.unet";

std::string shape_string(at::IntArrayRef sizes) {
  std::string out = "[";
  for (size_t i = 0; i < sizes.size(); ++i) out += (i ? "," : "") + std::to_string(sizes[i]);
  return out + "]";
}

}  // namespace

void save_model(const std::string& path, UNet& model, const Metadata& metadata) {
  TensorMap tensors;
  for (const auto& item : model->named_parameters()) tensors[item.key()] = item.value().to(torch::kFloat32);
  for (const auto& item : model->named_buffers()) tensors[item.key()] = item.value().to(torch::kFloat32);
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

  torch::NoGradGuard no_grad;
  auto targets = model->named_parameters();
  for (const auto& item : model->named_buffers()) targets.insert(item.key(), item.value());
  for (const auto& item : targets) {
    const auto found = content.tensors.find(item.key());
    if (found == content.tensors.end()) throw std::runtime_error(path + ": missing tensor " + item.key());
    const torch::Tensor& source = found->second;
    if (source.sizes() != item.value().sizes())
      throw std::runtime_error(path + ": tensor " + item.key() + " has shape " + shape_string(source.sizes()) +
                               ", the configuration needs " + shape_string(item.value().sizes()));
    if (!source.is_floating_point()) throw std::runtime_error(path + ": tensor " + item.key() + " is not floating point");
    item.value().copy_(source);
    content.tensors.erase(found);
  }
  if (!content.tensors.empty())
    throw std::runtime_error(path + ": unexpected tensor " + content.tensors.begin()->first +
                             " (file and configuration disagree)");
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
