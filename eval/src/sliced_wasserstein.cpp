#include "geosr/eval/sliced_wasserstein.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace geosr::eval {
namespace {

torch::Tensor binomial_kernel() {
  const auto k = torch::tensor({1.0, 4.0, 6.0, 4.0, 1.0}, torch::kFloat64) / 16.0;
  return torch::outer(k, k).view({1, 1, 5, 5});
}

// (C, H, W) filtered with the 5 x 5 binomial kernel, mirror borders (scipy "mirror" = torch "reflect").
torch::Tensor blur(const torch::Tensor& x, double gain) {
  namespace F = torch::nn::functional;
  const auto padded = F::pad(x.unsqueeze(1), F::PadFuncOptions({2, 2, 2, 2}).mode(torch::kReflect));
  return torch::conv2d(padded, binomial_kernel() * gain).squeeze(1);
}

torch::Tensor pyr_down(const torch::Tensor& x) {
  using torch::indexing::Slice;
  return blur(x, 1.0).index({Slice(), Slice(torch::indexing::None, torch::indexing::None, 2),
                             Slice(torch::indexing::None, torch::indexing::None, 2)});
}

torch::Tensor pyr_up(const torch::Tensor& x) {
  using torch::indexing::Slice;
  auto up = torch::zeros({x.size(0), x.size(1) * 2, x.size(2) * 2}, x.options());
  up.index_put_({Slice(), Slice(torch::indexing::None, torch::indexing::None, 2),
                 Slice(torch::indexing::None, torch::indexing::None, 2)},
                x);
  return blur(up, 4.0);
}

// Per-channel statistics of a descriptor set (n, C*patch*patch): mean and std, each (1, C, 1).
std::pair<torch::Tensor, torch::Tensor> channel_stats(const torch::Tensor& desc, int64_t channels) {
  const auto d = desc.view({desc.size(0), channels, -1});
  const std::vector<int64_t> dims{0, 2};
  return {d.mean(dims, true), d.std(dims, /*unbiased=*/false, /*keepdim=*/true).clamp_min(1e-12)};
}

torch::Tensor normalise(const torch::Tensor& desc, const std::pair<torch::Tensor, torch::Tensor>& stats,
                        int64_t channels) {
  const auto d = desc.view({desc.size(0), channels, -1});
  return ((d - stats.first) / stats.second).view({desc.size(0), -1});
}

}  // namespace

std::vector<torch::Tensor> laplacian_pyramid(const torch::Tensor& image, int64_t levels) {
  std::vector<torch::Tensor> pyramid;
  auto current = image.to(torch::kFloat64);
  for (int64_t l = 0; l + 1 < levels; ++l) {
    const auto down = pyr_down(current);
    pyramid.push_back(current - pyr_up(down));
    current = down;
  }
  pyramid.push_back(current);
  return pyramid;
}

double sliced_wasserstein(const torch::Tensor& a, const torch::Tensor& b, int64_t repeats, int64_t directions,
                          uint64_t seed) {
  if (a.sizes() != b.sizes() || a.dim() != 2) throw std::runtime_error("swd: descriptor sets differ in shape");
  auto gen = at::detail::createCPUGenerator(seed);
  double total = 0;
  for (int64_t r = 0; r < repeats; ++r) {
    auto dirs = at::randn({a.size(1), directions}, gen, torch::kFloat64);
    dirs /= dirs.norm(2, {0}, true);
    const auto pa = std::get<0>(torch::matmul(a, dirs).sort(0));
    const auto pb = std::get<0>(torch::matmul(b, dirs).sort(0));
    total += (pa - pb).abs().mean().item<double>();
  }
  return total / static_cast<double>(repeats);
}

SlicedWasserstein::SlicedWasserstein(SwdOptions options)
    : options_(options),
      reference_(static_cast<size_t>(options.levels)),
      candidate_(static_cast<size_t>(options.levels)) {
  if (options.levels < 1 || options.patch < 1) throw std::runtime_error("swd: need >= 1 level and patch >= 1");
}

std::vector<torch::Tensor> SlicedWasserstein::descriptors(const torch::Tensor& window, uint64_t seed) const {
  const auto pyramid = laplacian_pyramid(window, options_.levels);
  std::mt19937_64 rng(seed);
  std::vector<torch::Tensor> out;
  for (const auto& level : pyramid) {
    const int64_t h = level.size(1), w = level.size(2), p = options_.patch;
    if (h < p || w < p) {
      throw std::runtime_error("swd: window too small for " + std::to_string(options_.levels) + " levels of " +
                               std::to_string(p) + " x " + std::to_string(p) + " patches");
    }
    std::uniform_int_distribution<int64_t> ys(0, h - p), xs(0, w - p);
    std::vector<torch::Tensor> patches;
    for (int64_t i = 0; i < options_.descriptors_per_level; ++i) {
      patches.push_back(level.narrow(1, ys(rng), p).narrow(2, xs(rng), p).reshape({-1}));
    }
    out.push_back(torch::stack(patches));
  }
  return out;
}

void SlicedWasserstein::add_window(const torch::Tensor& reference, const torch::Tensor& candidate) {
  if (reference.dim() != 3 || reference.sizes() != candidate.sizes()) {
    throw std::runtime_error("swd: windows must be (C, P, P) of the same shape");
  }
  // The same places in both, drawn per window so the result does not depend on feeding order
  // beyond the window count.
  const uint64_t seed = options_.seed * 1000003ULL + static_cast<uint64_t>(windows_);
  const auto r = descriptors(reference, seed), c = descriptors(candidate, seed);
  for (size_t l = 0; l < r.size(); ++l) {
    reference_[l].push_back(r[l]);
    candidate_[l].push_back(c[l]);
  }
  ++windows_;
}

SwdResult SlicedWasserstein::result() const {
  if (windows_ == 0) throw std::runtime_error("swd: no windows without NoData");
  SwdResult result;
  for (size_t l = 0; l < reference_.size(); ++l) {
    const int64_t channels = reference_[l].front().size(1) / (options_.patch * options_.patch);
    // Karras et al. normalise each set by its own statistics, which makes every level blind to
    // contrast: a blurred candidate's weak fine levels are scaled back up. Both sets are
    // normalised with the reference's statistics instead, so lost (or invented) detail counts.
    const auto ref = torch::cat(reference_[l]);
    const auto stats = channel_stats(ref, channels);
    const auto a = normalise(ref, stats, channels);
    const auto b = normalise(torch::cat(candidate_[l]), stats, channels);
    result.per_level.push_back(
        1e3 * sliced_wasserstein(a, b, options_.repeats, options_.directions, options_.seed + l));
    result.mean += result.per_level.back() / static_cast<double>(reference_.size());
  }
  return result;
}

}  // namespace geosr::eval
