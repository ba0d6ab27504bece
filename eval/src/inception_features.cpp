#include "geosr/eval/inception_features.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace geosr::eval {

std::string find_inception_file(const std::string& explicit_path) {
  std::string path = explicit_path;
  if (path.empty()) {
    if (const char* env = std::getenv("GEOSR_INCEPTION")) path = env;
  }
  if (path.empty() || !std::filesystem::is_regular_file(path)) {
    throw std::runtime_error(
        "FID/KID need clean-fid's Inception TorchScript file inception-2015-12-05.pt" +
        (path.empty() ? std::string() : " (not found: " + path + ")") +
        "; download https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/metrics/"
        "inception-2015-12-05.pt on a machine with internet access and pass --inception PATH or set "
        "GEOSR_INCEPTION");
  }
  return path;
}

InceptionFeatures::InceptionFeatures(const std::string& path, torch::Device device, int64_t batch_size)
    : device_(device), batch_size_(batch_size) {
  if (batch_size < 1) throw std::runtime_error("inception: batch size must be >= 1");
  try {
    module_ = torch::jit::load(path, device);
  } catch (const c10::Error& e) {
    throw std::runtime_error("inception: cannot load TorchScript file " + path + ": " + e.what_without_backtrace());
  }
  module_.eval();
  has_layers_ = module_.hasattr("layers");
}

torch::Tensor InceptionFeatures::extract(const torch::Tensor& windows) {
  if (windows.dim() != 4 || windows.size(1) != 3) throw std::runtime_error("inception: expected (N, 3, H, W)");
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < windows.size(0); i += batch_size_) {
    auto batch = windows.narrow(0, i, std::min(batch_size_, windows.size(0) - i)).to(device_, torch::kFloat32);
    torch::Tensor features;
    if (has_layers_) {
      auto layers = module_.attr("layers").toModule();
      features = layers.forward({(batch - 128.0) / 128.0}).toTensor();
    } else {
      features = module_.forward({batch}).toTensor();
    }
    out.push_back(features.reshape({batch.size(0), -1}).to(torch::kCPU, torch::kFloat64));
  }
  return torch::cat(out);
}

namespace {

torch::Tensor rgb(const torch::Tensor& window) {
  if (window.dim() != 3) throw std::runtime_error("inception: expected (C, P, P) windows");
  if (window.size(0) == 1) return window.expand({3, window.size(1), window.size(2)});
  if (window.size(0) < 3) throw std::runtime_error("inception: need 1 or at least 3 bands");
  return window.narrow(0, 0, 3);
}

}  // namespace

void FeatureCollector::add_window(const torch::Tensor& reference, const torch::Tensor& candidate) {
  pending_reference_.push_back(rgb(reference).to(torch::kFloat32));
  pending_candidate_.push_back(rgb(candidate).to(torch::kFloat32));
  if (static_cast<int64_t>(pending_reference_.size()) >= extractor_.batch_size()) flush();
}

void FeatureCollector::flush() {
  if (pending_reference_.empty()) return;
  reference_.push_back(extractor_.extract(torch::stack(pending_reference_)));
  candidate_.push_back(extractor_.extract(torch::stack(pending_candidate_)));
  pending_reference_.clear();
  pending_candidate_.clear();
}

torch::Tensor FeatureCollector::reference_features() {
  flush();
  if (reference_.empty()) throw std::runtime_error("fid: no windows without NoData");
  return torch::cat(reference_);
}

torch::Tensor FeatureCollector::candidate_features() {
  flush();
  if (candidate_.empty()) throw std::runtime_error("fid: no windows without NoData");
  return torch::cat(candidate_);
}

}  // namespace geosr::eval
