#pragma once
// A trained segmentation model: the network plus the rule that turns raster values into network
// input (per-band mean and standard deviation of the training images, so any data type works), in
// one self-describing safetensors file ("geosr.segnet", "geosr.seg.mean", "geosr.seg.std").

#include <string>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/network/model_file.hpp"
#include "geosr/core/segmentation/seg_net.hpp"
#include "geosr/core/segmentation/sliding_prediction.hpp"

namespace geosr {

struct SegModel {
  SegNet net{nullptr};
  std::vector<double> mean, std;  // one per band
  Metadata metadata;              // provenance (geosr.train.*), free-form

  // Raster values (..., C, H, W) -> network input (v - mean) / std, float32.
  torch::Tensor normalize(const torch::Tensor& values) const;
};

void save_seg_model(const std::string& path, const SegModel& model);
// Throws std::runtime_error with a one-line message on a missing, corrupt or foreign file.
SegModel load_seg_model(const std::string& path);

// Copies into `net` every tensor of `path` whose name and shape match: a geosr segmentation model,
// or a torchvision ResNet state dict saved as safetensors (names without the "encoder." prefix),
// e.g. ImageNet weights. Returns how many tensors were copied; throws when none match.
int64_t initialise_seg_net(SegNet& net, const std::string& path);

// Softmax class probabilities of the model's network on `device` (eval mode, bf16 autocast on CUDA
// when asked), for SlidingPredictor.
WindowClassifier seg_classifier(SegNet net, torch::Device device, bool bf16 = false);

}  // namespace geosr
