#include "geosr/eval/lr_consistency.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "geosr/core/resample/resample.hpp"

namespace geosr::eval {

LrConsistencyAccumulator::LrConsistencyAccumulator(int64_t bands, int64_t scale)
    : scale_(scale), abs_sum_(static_cast<size_t>(bands), 0.0) {
  if (scale < 1) throw std::runtime_error("lr consistency: scale must be >= 1, got " + std::to_string(scale));
}

void LrConsistencyAccumulator::add(const torch::Tensor& candidate, const torch::Tensor& candidate_valid,
                                   const torch::Tensor& lr, const torch::Tensor& lr_valid) {
  if (candidate.dim() != 3 || lr.dim() != 3 || candidate.size(0) != lr.size(0) ||
      candidate.size(1) != lr.size(1) * scale_ || candidate.size(2) != lr.size(2) * scale_) {
    throw std::runtime_error("lr consistency: candidate block must be exactly " + std::to_string(scale_) +
                             " x the LR block");
  }
  if (lr.size(0) != static_cast<int64_t>(abs_sum_.size())) throw std::runtime_error("lr consistency: band count");
  const auto down = degrade(candidate.to(torch::kFloat64), scale_);
  // An LR pixel whose footprint holds any NoData would mix it into the mean: left out.
  const auto covered = degrade(candidate_valid.to(torch::kFloat64).unsqueeze(0), scale_).squeeze(0) > 1.0 - 1e-9;
  const auto ok = (covered & lr_valid.to(torch::kBool)).to(torch::kFloat64);
  const auto sums = ((down - lr.to(torch::kFloat64)).abs() * ok).sum({1, 2});
  for (size_t b = 0; b < abs_sum_.size(); ++b) abs_sum_[b] += sums[static_cast<int64_t>(b)].item<double>();
  count_ += std::llround(ok.sum().item<double>());
}

BandScores LrConsistencyAccumulator::mae() const {
  if (count_ == 0) throw std::runtime_error("lr consistency: no valid LR pixels");
  BandScores s;
  double total = 0;
  for (double a : abs_sum_) {
    s.per_band.push_back(a / static_cast<double>(count_));
    total += a;
  }
  s.overall = total / static_cast<double>(count_ * static_cast<int64_t>(abs_sum_.size()));
  return s;
}

}  // namespace geosr::eval
