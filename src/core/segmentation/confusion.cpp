#include "geosr/core/segmentation/confusion.hpp"

#include <limits>
#include <stdexcept>

namespace geosr {

namespace {

double ratio(int64_t num, int64_t den) {
  return den == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(num) / static_cast<double>(den);
}

}  // namespace

Confusion::Confusion(int64_t classes) : matrix_(torch::zeros({classes, classes}, torch::kInt64)) {
  if (classes < 2) throw std::runtime_error("a segmentation has at least 2 classes");
}

void Confusion::add(const torch::Tensor& labels, const torch::Tensor& prediction, const torch::Tensor& valid) {
  if (labels.sizes() != prediction.sizes() || labels.sizes() != valid.sizes())
    throw std::runtime_error("labels, prediction and validity must have the same size");
  const auto mask = valid.to(torch::kBool);
  const auto l = labels.masked_select(mask).to(torch::kInt64);
  const auto p = prediction.masked_select(mask).to(torch::kInt64);
  const int64_t k = classes();
  if (l.numel() == 0) return;
  if (l.min().item<int64_t>() < 0 || l.max().item<int64_t>() >= k)
    throw std::runtime_error("labels hold classes outside 0.." + std::to_string(k - 1));
  if (p.min().item<int64_t>() < 0 || p.max().item<int64_t>() >= k)
    throw std::runtime_error("the prediction holds classes outside 0.." + std::to_string(k - 1));
  matrix_ += torch::bincount(l * k + p, {}, k * k).view({k, k});
}

SegmentationScores scores(const Confusion& confusion) {
  const auto m = confusion.matrix();
  SegmentationScores s;
  s.pixels = m.sum().item<int64_t>();
  s.accuracy = ratio(m.diagonal().sum().item<int64_t>(), s.pixels);
  for (int64_t c = 0; c < confusion.classes(); ++c) {
    const int64_t tp = m[c][c].item<int64_t>();
    ClassScores cs;
    cs.label_pixels = m[c].sum().item<int64_t>();
    cs.predicted_pixels = m.select(1, c).sum().item<int64_t>();
    const int64_t fn = cs.label_pixels - tp, fp = cs.predicted_pixels - tp;
    cs.precision = ratio(tp, tp + fp);
    cs.recall = ratio(tp, tp + fn);
    cs.f1 = ratio(2 * tp, 2 * tp + fp + fn);
    cs.iou = ratio(tp, tp + fp + fn);
    s.classes.push_back(cs);
  }
  return s;
}

}  // namespace geosr
