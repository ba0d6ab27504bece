#include "geosr/core/network/module_tensors.hpp"

#include <stdexcept>

namespace geosr {

std::string shape_string(at::IntArrayRef sizes) {
  std::string out = "[";
  for (size_t i = 0; i < sizes.size(); ++i) out += (i ? "," : "") + std::to_string(sizes[i]);
  return out + "]";
}

TensorMap module_tensors(const torch::nn::Module& module) {
  TensorMap tensors;
  for (const auto& item : module.named_parameters()) tensors[item.key()] = item.value().to(torch::kFloat32);
  for (const auto& item : module.named_buffers())
    tensors[item.key()] = item.value().is_floating_point() ? item.value().to(torch::kFloat32) : item.value();
  return tensors;
}

void load_module_tensors(torch::nn::Module& module, TensorMap tensors, const std::string& path) {
  torch::NoGradGuard no_grad;
  auto targets = module.named_parameters();
  for (const auto& item : module.named_buffers()) targets.insert(item.key(), item.value());
  for (const auto& item : targets) {
    const auto found = tensors.find(item.key());
    if (found == tensors.end()) throw std::runtime_error(path + ": missing tensor " + item.key());
    const torch::Tensor& source = found->second;
    if (source.sizes() != item.value().sizes())
      throw std::runtime_error(path + ": tensor " + item.key() + " has shape " + shape_string(source.sizes()) +
                               ", the configuration needs " + shape_string(item.value().sizes()));
    if (item.value().is_floating_point() && !source.is_floating_point())
      throw std::runtime_error(path + ": tensor " + item.key() + " is not floating point");
    item.value().copy_(source);
    tensors.erase(found);
  }
  if (!tensors.empty())
    throw std::runtime_error(path + ": unexpected tensor " + tensors.begin()->first +
                             " (file and configuration disagree)");
}

void copy_module_tensors(const torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  const auto parameters = from.named_parameters();
  for (auto& item : to.named_parameters()) item.value().copy_(parameters[item.key()]);
  const auto buffers = from.named_buffers();
  for (auto& item : to.named_buffers()) item.value().copy_(buffers[item.key()]);
}

}  // namespace geosr
