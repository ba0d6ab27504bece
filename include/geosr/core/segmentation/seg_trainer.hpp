#pragma once
// Training of the segmentation network on labelled images: random S x S patches with flips and
// 90-degree rotations, cross-entropy plus soft Dice on the foreground classes (tree crowns cover a
// few percent of a scene or less), AdamW whose learning rate decays by `gamma` every epoch (the paper's
// ExponentialLR), bf16 autocast on CUDA. Checkpoints: the model file plus `<name>.state.pt` with
// the optimizer state and the epoch, so --resume continues the same run.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/segmentation/confusion.hpp"
#include "geosr/core/segmentation/seg_model.hpp"
#include "geosr/core/segmentation/sliding_prediction.hpp"

namespace geosr {

struct SegSample {
  std::string name;
  torch::Tensor image;   // (C, H, W) float32 raster values
  torch::Tensor labels;  // (H, W) int64 classes; -1 where unknown (NoData): ignored
};

// Per-band mean and standard deviation of the samples' labelled pixels (the model's input rule).
std::pair<std::vector<double>, std::vector<double>> band_statistics(const std::vector<SegSample>& samples);

struct SegTrainOptions {
  int64_t patch = 128;
  int64_t batch = 16;
  int64_t patches_per_epoch = 0;  // 0: as many patches as cover the training images once
  double lr = 0.01;
  double gamma = 0.97;            // learning rate factor per epoch
  double weight_decay = 1e-2;
  uint64_t seed = 0;
  torch::Device device = torch::kCPU;
  bool bf16 = true;               // CUDA only
};

class SegTrainer {
 public:
  // Throws std::runtime_error when the samples do not fit the model (bands, classes, no samples).
  SegTrainer(SegModel model, std::shared_ptr<const std::vector<SegSample>> train, SegTrainOptions options);

  // One epoch at learning_rate(); returns the mean loss. Patches depend only on (seed, epoch).
  // Throws Interrupted at the first batch after a signal an InterruptGuard caught: the epoch is not
  // counted, and the trainer is no longer fit to save (resume from the last checkpoint).
  double train_epoch();
  int64_t epoch() const { return epoch_; }
  int64_t patches_per_epoch() const;
  double learning_rate() const;

  SegModel& model() { return model_; }
  // Writes the model file and state_path(model_path).
  void save(const std::string& model_path) const;
  // Restores weights, optimizer and epoch from a checkpoint written by save().
  void resume(const std::string& model_path);

 private:
  SegModel model_;
  std::shared_ptr<const std::vector<SegSample>> train_;
  SegTrainOptions options_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  int64_t epoch_ = 0;
};

// Scores of whole-sample sliding predictions against the samples' labels (unknown pixels excluded).
SegmentationScores evaluate_segmentation(const SegModel& model, const std::vector<SegSample>& samples,
                                         const SlidingOptions& options, torch::Device device);

}  // namespace geosr
