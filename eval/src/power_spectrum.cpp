#include "geosr/eval/power_spectrum.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace geosr::eval {

torch::Tensor PowerSpectrumAccumulator::radial(const torch::Tensor& window) const {
  auto gray = window.to(torch::kFloat64).mean(0);
  gray = (gray - gray.mean()) * taper_;
  const auto power = torch::fft::fft2(gray).abs().square().flatten();
  const auto in_band = bins_ >= 0;
  auto sums = torch::zeros({size_ / 2 + 1}, torch::kFloat64);
  sums.index_add_(0, bins_.masked_select(in_band), power.masked_select(in_band));
  return sums / counts_;
}

void PowerSpectrumAccumulator::add_window(const torch::Tensor& reference, const torch::Tensor& candidate) {
  if (reference.dim() != 3 || reference.sizes() != candidate.sizes() || reference.size(1) != reference.size(2)) {
    throw std::runtime_error("power spectrum: windows must be square (C, P, P) of the same shape");
  }
  if (windows_ == 0) {
    size_ = reference.size(1);
    const auto f = torch::fft::fftfreq(size_, torch::kFloat64) * static_cast<double>(size_);
    const auto r = torch::sqrt(f.view({-1, 1}).square() + f.view({1, -1}).square());
    auto bins = torch::round(r).to(torch::kInt64);
    bins_ = torch::where(bins <= size_ / 2, bins, torch::full_like(bins, -1)).flatten();
    counts_ = torch::zeros({size_ / 2 + 1}, torch::kFloat64)
                  .index_add_(0, bins_.masked_select(bins_ >= 0),
                              torch::ones({bins_.ge(0).sum().item<int64_t>()}, torch::kFloat64));
    const auto hann = torch::hann_window(size_, torch::TensorOptions().dtype(torch::kFloat64));
    taper_ = torch::outer(hann, hann);
    reference_sum_ = torch::zeros({size_ / 2 + 1}, torch::kFloat64);
    candidate_sum_ = torch::zeros_like(reference_sum_);
  } else if (reference.size(1) != size_) {
    throw std::runtime_error("power spectrum: all windows must have the same size");
  }
  reference_sum_ += radial(reference);
  candidate_sum_ += radial(candidate);
  ++windows_;
}

SpectrumResult PowerSpectrumAccumulator::result() const {
  if (windows_ == 0) throw std::runtime_error("power spectrum: no windows without NoData");
  SpectrumResult result;
  const auto ref = reference_sum_ / static_cast<double>(windows_);
  const auto cand = candidate_sum_ / static_cast<double>(windows_);
  result.reference.assign(ref.data_ptr<double>(), ref.data_ptr<double>() + ref.numel());
  result.candidate.assign(cand.data_ptr<double>(), cand.data_ptr<double>() + cand.numel());
  const int64_t lo = size_ / 4, hi = size_ / 2;
  double total = 0;
  for (int64_t r = lo; r <= hi; ++r) {
    // A tiny floor keeps flat (constant) windows from producing log(0).
    const double pr = std::max(result.reference[static_cast<size_t>(r)], 1e-30);
    const double pc = std::max(result.candidate[static_cast<size_t>(r)], 1e-30);
    total += std::abs(10.0 * std::log10(pc / pr));
  }
  result.high_band_distance_db = total / static_cast<double>(hi - lo + 1);
  return result;
}

}  // namespace geosr::eval
