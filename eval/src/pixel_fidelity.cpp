#include "geosr/eval/pixel_fidelity.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace geosr::eval {
namespace {

torch::Tensor core_of(const torch::Tensor& t, const Region& r) {
  return t.narrow(-2, r.y0, r.height()).narrow(-1, r.x0, r.width());
}

// Separable "valid" filtering of (C, h, w) with a 1-D kernel along both axes.
torch::Tensor filter_valid(const torch::Tensor& x, const torch::Tensor& k) {
  const int64_t n = k.size(0);
  auto y = torch::conv2d(x.unsqueeze(1), k.view({1, 1, n, 1}));
  y = torch::conv2d(y, k.view({1, 1, 1, n}));
  return y.squeeze(1);
}

}  // namespace

ErrorAccumulator::ErrorAccumulator(const SceneShape& scene, double max_value)
    : max_value_(max_value), squared_(static_cast<size_t>(scene.bands), 0.0) {}

void ErrorAccumulator::add(const BlockPair& block) {
  const auto diff = core_of(block.reference - block.candidate, block.core);
  const auto valid = core_of(block.valid, block.core);
  const auto sq = (diff * diff * valid.unsqueeze(0)).sum({1, 2});
  if (sq.size(0) != static_cast<int64_t>(squared_.size())) throw std::runtime_error("rmse: band count changed");
  for (size_t b = 0; b < squared_.size(); ++b) squared_[b] += sq[static_cast<int64_t>(b)].item<double>();
  count_ += valid.sum().item<int64_t>();
}

BandScores ErrorAccumulator::rmse() const {
  if (count_ == 0) throw std::runtime_error("rmse: no valid pixels");
  BandScores s;
  double total = 0;
  for (double q : squared_) {
    s.per_band.push_back(std::sqrt(q / static_cast<double>(count_)));
    total += q;
  }
  s.overall = std::sqrt(total / static_cast<double>(count_ * static_cast<int64_t>(squared_.size())));
  return s;
}

BandScores ErrorAccumulator::psnr() const {
  const auto to_db = [this](double rmse) {
    return rmse == 0.0 ? std::numeric_limits<double>::infinity() : 20.0 * std::log10(max_value_ / rmse);
  };
  BandScores s = rmse();
  for (double& v : s.per_band) v = to_db(v);
  s.overall = to_db(s.overall);
  return s;
}

SsimAccumulator::SsimAccumulator(const SceneShape& scene, double data_range)
    : scene_(scene),
      c1_(std::pow(0.01 * data_range, 2)),
      c2_(std::pow(0.03 * data_range, 2)),
      sum_(static_cast<size_t>(scene.bands), 0.0) {
  // scipy.ndimage.gaussian_filter(sigma=1.5, truncate=3.5): radius int(3.5 * 1.5 + 0.5) = 5.
  const auto x = torch::arange(-kHalo, kHalo + 1, torch::kFloat64);
  kernel_ = torch::exp(-0.5 * x * x / (1.5 * 1.5));
  kernel_ /= kernel_.sum();
}

void SsimAccumulator::add(const BlockPair& block) {
  require_halo(block, scene_, kHalo, "ssim");
  // Pixels of the core whose whole window lies inside the scene, in block coordinates.
  const int64_t r0 = std::max(block.core.y0, kHalo - block.y0);
  const int64_t r1 = std::min(block.core.y1, scene_.height - kHalo - block.y0);
  const int64_t c0 = std::max(block.core.x0, kHalo - block.x0);
  const int64_t c1 = std::min(block.core.x1, scene_.width - kHalo - block.x0);
  if (r1 <= r0 || c1 <= c0) return;
  const Region outer{r0 - kHalo, c0 - kHalo, r1 + kHalo, c1 + kHalo};
  const auto x = core_of(block.reference, outer);
  const auto y = core_of(block.candidate, outer);
  const auto mx = filter_valid(x, kernel_), my = filter_valid(y, kernel_);
  const auto vx = filter_valid(x * x, kernel_) - mx * mx;
  const auto vy = filter_valid(y * y, kernel_) - my * my;
  const auto vxy = filter_valid(x * y, kernel_) - mx * my;
  const auto map = ((2 * mx * my + c1_) * (2 * vxy + c2_)) / ((mx * mx + my * my + c1_) * (vx + vy + c2_));
  // A window is usable only if none of its pixels is NoData.
  const auto invalid = (~core_of(block.valid, outer)).to(torch::kFloat64).unsqueeze(0);
  const auto ones = torch::ones({2 * kHalo + 1}, torch::kFloat64);
  const auto usable = filter_valid(invalid, ones) < 0.5;  // (1, h, w)
  const auto sums = (map * usable).sum({1, 2});
  for (size_t b = 0; b < sum_.size(); ++b) sum_[b] += sums[static_cast<int64_t>(b)].item<double>();
  count_ += usable.sum().item<int64_t>();
}

BandScores SsimAccumulator::ssim() const {
  if (count_ == 0) throw std::runtime_error("ssim: no valid 11 x 11 windows (scene too small or all NoData)");
  BandScores s;
  for (double v : sum_) {
    s.per_band.push_back(v / static_cast<double>(count_));
    s.overall += s.per_band.back() / static_cast<double>(sum_.size());
  }
  return s;
}

double data_type_max(const char* gdal_type_name) {
  const std::string t = gdal_type_name;
  if (t == "Byte") return 255.0;
  if (t == "Int8") return 127.0;
  if (t == "UInt16") return 65535.0;
  if (t == "Int16") return 32767.0;
  if (t == "UInt32") return 4294967295.0;
  if (t == "Int32") return 2147483647.0;
  return 1.0;
}

}  // namespace geosr::eval
