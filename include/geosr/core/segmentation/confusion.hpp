#pragma once
// Segmentation scores from a confusion matrix: accuracy, and per class precision, recall, F1 and
// IoU (the paper's Table 3 reports them for the tree class).

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace geosr {

class Confusion {
 public:
  explicit Confusion(int64_t classes);
  // Adds the pixels where `valid` (labels and prediction int64 (H, W); classes outside 0..K-1
  // throw std::runtime_error).
  void add(const torch::Tensor& labels, const torch::Tensor& prediction, const torch::Tensor& valid);
  int64_t classes() const { return matrix_.size(0); }
  // (K, K) int64: rows are the labels' classes, columns the prediction's.
  const torch::Tensor& matrix() const { return matrix_; }

 private:
  torch::Tensor matrix_;
};

struct ClassScores {
  double precision = 0, recall = 0, f1 = 0, iou = 0;  // NaN where undefined (0 / 0)
  int64_t label_pixels = 0, predicted_pixels = 0;
};

struct SegmentationScores {
  double accuracy = 0;
  int64_t pixels = 0;
  std::vector<ClassScores> classes;
};

SegmentationScores scores(const Confusion& confusion);

}  // namespace geosr
