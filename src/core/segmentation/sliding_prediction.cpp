#include "geosr/core/segmentation/sliding_prediction.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "geosr/core/grid/reflect_pad.hpp"
#include "geosr/core/segmentation/seg_net.hpp"

namespace geosr {

torch::Tensor gaussian_window(int64_t size, double sigma) {
  const auto d = torch::arange(size, torch::kFloat64) - static_cast<double>(size) / 2.0;
  const auto d2 = d * d;
  return torch::exp(-(d2.view({-1, 1}) + d2.view({1, -1})) / (2.0 * sigma * sigma)).to(torch::kFloat32);
}

std::vector<int64_t> window_starts(int64_t length, int64_t window, int64_t stride) {
  std::vector<int64_t> starts;
  for (int64_t s = 0; s + window < length; s += stride) starts.push_back(s);
  starts.push_back(std::max<int64_t>(length - window, 0));
  return starts;
}

SlidingPredictor::SlidingPredictor(WindowClassifier classify, int64_t height, int64_t width, SlidingOptions options)
    : classify_(std::move(classify)), height_(height), width_(width), options_(options) {
  if (height < 1 || width < 1) throw std::runtime_error("the scene to segment is empty");
  if (options_.window < kSegNetStride || options_.window % kSegNetStride)
    throw std::runtime_error("the prediction window must be a multiple of " + std::to_string(kSegNetStride));
  if (options_.stride < 1 || options_.stride > options_.window)
    throw std::runtime_error("the prediction stride must be 1 .. the window");
  if (options_.batch < 1) throw std::runtime_error("the prediction batch must be positive");
  const double sigma = options_.sigma > 0 ? options_.sigma : static_cast<double>(options_.window) / 4.0;
  weights_ = gaussian_window(options_.window, sigma);
  ys_ = window_starts(height, options_.window, options_.stride);
  xs_ = window_starts(width, options_.window, options_.stride);
}

Span SlidingPredictor::input_rows(Span rows) const {
  if (rows.begin < 0 || rows.end > height_ || rows.size() < 1) throw std::runtime_error("rows outside the scene");
  Span in{height_, 0};
  for (int64_t y : ys_)
    if (y < rows.end && y + options_.window > rows.begin) {
      in.begin = std::min(in.begin, y);
      in.end = std::max(in.end, std::min(y + options_.window, height_));
    }
  return in;
}

torch::Tensor SlidingPredictor::predict(const torch::Tensor& input, Span rows) const {
  const Span in = input_rows(rows);
  if (input.dim() != 3 || input.size(1) != in.size() || input.size(2) != width_)
    throw std::runtime_error("sliding prediction input does not cover the rows its windows read");
  const int64_t s = options_.window;
  // Only a scene smaller than a window is padded; its windows then read all of it.
  const auto padded = reflect_pad(input, std::max(in.size(), s), std::max(width_, s));

  torch::Tensor sum, weight_sum = torch::zeros({rows.size(), padded.size(2)}, torch::kFloat32);
  std::vector<std::pair<int64_t, int64_t>> pending;
  std::vector<torch::Tensor> crops;
  auto flush = [&] {
    if (crops.empty()) return;
    const auto probabilities = classify_(torch::stack(crops)).to(torch::kCPU, torch::kFloat32);
    if (!sum.defined()) sum = torch::zeros({probabilities.size(1), rows.size(), padded.size(2)}, torch::kFloat32);
    for (size_t i = 0; i < pending.size(); ++i) {
      const auto [y, x] = pending[i];
      // The part of the window inside the output rows.
      const int64_t top = std::max(y, rows.begin), bottom = std::min(y + s, rows.end);
      const auto w = weights_.slice(0, top - y, bottom - y);
      sum.slice(1, top - rows.begin, bottom - rows.begin).slice(2, x, x + s) +=
          probabilities[static_cast<int64_t>(i)].slice(1, top - y, bottom - y) * w;
      weight_sum.slice(0, top - rows.begin, bottom - rows.begin).slice(1, x, x + s) += w;
    }
    pending.clear();
    crops.clear();
  };
  torch::NoGradGuard no_grad;
  for (int64_t y : ys_) {
    if (y >= rows.end || y + s <= rows.begin) continue;
    for (int64_t x : xs_) {
      crops.push_back(padded.slice(1, y - in.begin, y - in.begin + s).slice(2, x, x + s));
      pending.emplace_back(y, x);
      if (static_cast<int64_t>(crops.size()) == options_.batch) flush();
    }
  }
  flush();
  return (sum / weight_sum).slice(2, 0, width_).contiguous();
}

}  // namespace geosr
