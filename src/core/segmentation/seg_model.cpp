#include "geosr/core/segmentation/seg_model.hpp"

#include <stdexcept>

#include "../network/json.hpp"
#include "geosr/core/network/autocast_guard.hpp"
#include "geosr/core/network/module_tensors.hpp"
#include "geosr/core/network/safetensors.hpp"

namespace geosr {
namespace {

const char* const kConfigKey = "geosr.segnet";
const char* const kMeanKey = "geosr.seg.mean";
const char* const kStdKey = "geosr.seg.std";

// Load errors get the file's name in front where they are caught.
std::vector<double> read_numbers(const StringMap& metadata, const char* key) {
  const auto found = metadata.find(key);
  if (found == metadata.end()) throw std::runtime_error(std::string("no ") + key + " metadata");
  const json::Value list = json::parse(found->second);
  std::vector<double> out;
  for (const auto& v : list.as_array()) out.push_back(v.as_number());
  return out;
}

}  // namespace

torch::Tensor SegModel::normalize(const torch::Tensor& values) const {
  const auto shape = std::vector<int64_t>{static_cast<int64_t>(mean.size()), 1, 1};
  const auto m = torch::tensor(mean, torch::kFloat64).view(shape).to(values.device());
  const auto s = torch::tensor(std, torch::kFloat64).view(shape).to(values.device());
  return ((values.to(torch::kFloat64) - m) / s).to(torch::kFloat32);
}

void save_seg_model(const std::string& path, const SegModel& model) {
  Metadata all = model.metadata;
  all[kConfigKey] = model.net->config().to_json();
  all[kMeanKey] = json::number_array(model.mean);
  all[kStdKey] = json::number_array(model.std);
  write_safetensors(path, module_tensors(*model.net), all);
}

SegModel load_seg_model(const std::string& path) {
  SafetensorsContent content = read_safetensors(path);
  const auto config = content.metadata.find(kConfigKey);
  if (config == content.metadata.end())
    throw std::runtime_error(path + ": no " + kConfigKey + " metadata (not a geosr segmentation model)");
  SegModel model;
  try {
    model.net = SegNet(SegNetConfig::from_json(config->second));
    model.mean = read_numbers(content.metadata, kMeanKey);
    model.std = read_numbers(content.metadata, kStdKey);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  const auto bands = static_cast<size_t>(model.net->config().in_channels);
  if (model.mean.size() != bands || model.std.size() != bands)
    throw std::runtime_error(path + ": band statistics do not match the network's " + std::to_string(bands) + " bands");
  for (double s : model.std)
    if (!(s > 0)) throw std::runtime_error(path + ": band standard deviations must be positive");
  load_module_tensors(*model.net, std::move(content.tensors), path);
  model.net->eval();
  content.metadata.erase(kConfigKey);
  content.metadata.erase(kMeanKey);
  content.metadata.erase(kStdKey);
  model.metadata = std::move(content.metadata);
  return model;
}

int64_t initialise_seg_net(SegNet& net, const std::string& path) {
  const TensorMap source = read_safetensors(path).tensors;
  torch::NoGradGuard no_grad;
  auto targets = net->named_parameters();
  for (const auto& item : net->named_buffers()) targets.insert(item.key(), item.value());
  int64_t copied = 0;
  for (auto& item : targets) {
    auto found = source.find(item.key());
    const std::string encoder_prefix = "encoder.";
    if (found == source.end() && item.key().rfind(encoder_prefix, 0) == 0)
      found = source.find(item.key().substr(encoder_prefix.size()));
    if (found == source.end() || found->second.sizes() != item.value().sizes()) continue;
    item.value().copy_(found->second);
    ++copied;
  }
  if (copied == 0)
    throw std::runtime_error(path + ": no tensor matches the segmentation network (names and shapes differ)");
  return copied;
}

WindowClassifier seg_classifier(SegNet net, torch::Device device, bool bf16) {
  net->to(device);
  net->eval();
  const bool autocast = bf16 && device.is_cuda();
  return [net, device, autocast](const torch::Tensor& windows) mutable {
    torch::NoGradGuard no_grad;
    CudaAutocastGuard guard(autocast);
    return torch::softmax(net->forward(windows.to(device, torch::kFloat32)).to(torch::kFloat32), 1);
  };
}

}  // namespace geosr
