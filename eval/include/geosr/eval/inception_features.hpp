#pragma once
// Inception features for FID/KID from clean-fid's TorchScript file (inception-2015-12-05.pt).
// Windows go in as (N, 3, 299, 299) with values on the 0..255 scale; like clean-fid (without its
// internal resize) the input is normalised to (x - 128) / 128 and run through the file's `layers`
// submodule, giving 2048-d pool features. A file without `layers` is called as forward(x) on the
// 0..255 input instead.

#include <cstdint>
#include <string>
#include <vector>

#include <torch/script.h>
#include <torch/torch.h>

namespace geosr::eval {

// Where the Inception file is: `explicit_path` if given, else $GEOSR_INCEPTION; throws with
// instructions for obtaining it when neither names an existing file.
std::string find_inception_file(const std::string& explicit_path);

class InceptionFeatures {
 public:
  InceptionFeatures(const std::string& path, torch::Device device = torch::kCPU, int64_t batch_size = 16);
  // (N, 3, H, W) on the 0..255 scale -> (N, D) float64 on the CPU, run in batches.
  torch::Tensor extract(const torch::Tensor& windows);
  int64_t batch_size() const { return batch_size_; }

 private:
  torch::jit::script::Module module_;
  bool has_layers_ = false;
  torch::Device device_;
  int64_t batch_size_;
};

// Features of the reference and candidate windows of one comparison, batched as they arrive.
class FeatureCollector {
 public:
  explicit FeatureCollector(InceptionFeatures& extractor) : extractor_(extractor) {}
  // (C, P, P) windows on the 0..255 scale; 1-band windows are repeated to RGB, more than 3 bands
  // use the first three (R, G, B for NAIP's RGBN order).
  void add_window(const torch::Tensor& reference, const torch::Tensor& candidate);
  torch::Tensor reference_features();  // (N, D)
  torch::Tensor candidate_features();

 private:
  void flush();
  InceptionFeatures& extractor_;
  std::vector<torch::Tensor> pending_reference_, pending_candidate_;
  std::vector<torch::Tensor> reference_, candidate_;
};

}  // namespace geosr::eval
