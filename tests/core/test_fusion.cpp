// Fusion modes: SDVC equals VCF, the fused noise keeps the variance sigma^2 under VCF/SDVC and is
// eroded as predicted under naive averaging, and accumulation does not depend on window order.

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "geosr/core/canvas/canvas.hpp"
#include "geosr/core/diffusion/noise.hpp"
#include "geosr/core/fusion/fixed_point.hpp"
#include "geosr/core/fusion/fuser.hpp"

namespace geosr {
namespace {

using torch::indexing::Slice;

// A smooth, window-specific mean, as a network would give (different windows disagree).
torch::Tensor window_mean(const Window& w, int64_t channels, int64_t size) {
  const auto g = at::detail::createCPUGenerator(1000 + w.index);
  auto coarse = torch::randn({1, channels, 4, 4}, g, torch::kFloat64) * 0.4;
  return torch::upsample_bilinear2d(coarse, {size, size}, false)[0].to(torch::kFloat32);
}

// One fused step: every window adds its contribution (in `order`, in batches of `batch`), then
// the canvas finishes.
torch::Tensor fuse(const Fuser& fuser, int64_t channels, double sigma, uint64_t seed,
                   const std::function<torch::Tensor(const Window&)>& mean,
                   std::vector<Window> order = {}, size_t batch = 3) {
  const auto& grid = fuser.grid();
  if (order.empty()) order = grid.windows();
  MemoryCanvas canvas(torch::zeros({channels, grid.extent_height(), grid.extent_width()}),
                      fuser.planes());
  for (size_t first = 0; first < order.size(); first += batch) {
    const std::vector<Window> windows(order.begin() + first, order.begin() + std::min(order.size(), first + batch));
    std::vector<torch::Tensor> means;
    std::vector<Region> footprints;
    for (const auto& w : windows) {
      means.push_back(mean(w));
      footprints.push_back(grid.footprint(w));
    }
    canvas.accumulate_windows(footprints, [&](torch::Tensor& sums, int64_t first_row) {
      check_fixed_point_range(fuser.accumulate(windows, torch::stack(means), {sigma, seed, 1}, sums, first_row));
    });
  }
  canvas.finish_step(fuser);
  return canvas.state();
}

const std::vector<WeightKind> kAllKinds = {WeightKind::Cone, WeightKind::Tent, WeightKind::Gaussian,
                                           WeightKind::Uniform};

TEST(Fusion, SdvcEqualsVcf) {
  const int64_t c = 3, p = 32;
  for (auto kind : kAllKinds) {
    for (const auto& [h, w, s] : std::vector<std::array<int64_t, 3>>{{97, 131, 24}, {64, 50, 20}, {40, 33, 32}}) {
      SCOPED_TRACE(to_string(kind) + " " + std::to_string(h) + "x" + std::to_string(w));
      const auto grid = WindowGrid::overlapping(h, w, p, s);
      const auto mean = [&](const Window& win) { return window_mean(win, c, p); };
      const auto vcf = fuse(Fuser(FusionMode::Vcf, grid, kind), c, 0.6, 9, mean);
      const auto sdvc = fuse(Fuser(FusionMode::Sdvc, grid, kind), c, 0.6, 9, mean);
      EXPECT_LE((vcf - sdvc).abs().max().item<double>(), 1e-5);
      // Not trivially equal to the naive average, which blends the noise differently.
      const auto avg = fuse(Fuser(FusionMode::Avg, grid, kind), c, 0.6, 9, mean);
      if (grid.size() > 1) EXPECT_GT((vcf - avg).abs().max().item<double>(), 1e-2);
    }
  }
}

TEST(Fusion, WithoutNoiseEveryModeIsTheWeightedMeanOfTheMeans) {
  const int64_t c = 2, p = 16;
  const auto grid = WindowGrid::overlapping(45, 38, p, 11);
  const auto mean = [&](const Window& win) { return window_mean(win, c, p); };
  // Reference: sum_i w_i mu_i / W by brute force over full maps.
  const auto w = window_weights(WeightKind::Tent, p);
  auto num = torch::zeros({c, grid.extent_height(), grid.extent_width()}, torch::kFloat64);
  auto den = torch::zeros({grid.extent_height(), grid.extent_width()}, torch::kFloat64);
  for (const auto& win : grid.windows()) {
    num.index({Slice(), Slice(win.y, win.y + p), Slice(win.x, win.x + p)}) += w * mean(win).to(torch::kFloat64);
    den.index({Slice(win.y, win.y + p), Slice(win.x, win.x + p)}) += w;
  }
  const auto expected = num / den;
  for (auto mode : {FusionMode::Avg, FusionMode::Vcf, FusionMode::Sdvc}) {
    const auto got = fuse(Fuser(mode, grid, WeightKind::Tent), c, 0.0, 1, mean);
    EXPECT_LE((got - expected).abs().max().item<double>(), 1e-6) << to_string(mode);
  }
}

TEST(Fusion, NoneConcatenatesTheTileSamples) {
  const int64_t c = 3, p = 16;
  const Fuser fuser(FusionMode::None, make_grid(FusionMode::None, 40, 21, p, 12), WeightKind::Cone);
  ASSERT_EQ(fuser.grid().extent_height(), 48);
  const auto mean = [&](const Window& win) { return window_mean(win, c, p); };
  const auto got = fuse(fuser, c, 0.5, 4, mean);
  for (const auto& win : fuser.grid().windows()) {
    const auto expected = mean(win) + 0.5 * window_noise(4, 1, win.y, win.x, c, p);
    const auto tile = got.index({Slice(), Slice(win.y, win.y + p), Slice(win.x, win.x + p)});
    EXPECT_LE((tile - expected).abs().max().item<double>(), 1e-6);
  }
}

// Per-pixel variance of the fused noise (mu = 0) over many seeds, checked against `predicted`
// (a per-pixel variance map) for each overlap count. The variance estimator mean(y^2) of n
// N(0, v) samples has standard error v sqrt(2/n); the tolerance is 6 standard errors, pooled per
// overlap class and per pixel.
void check_noise_variance(FusionMode mode, WeightKind kind, bool eroded) {
  const int64_t c = 3, p = 16, s = 12, trials = 300;
  const double sigma = 0.7;
  // 28 = 16 + 12: along each axis pixels are covered by 1 or 2 windows, so 1, 2 and 4 overlap.
  const auto grid = WindowGrid::overlapping(28, 28, p, s);
  const Fuser fuser(mode, grid, kind);
  const auto zero = [&](const Window&) { return torch::zeros({c, p, p}); };
  auto sum_sq = torch::zeros({c, 28, 28}, torch::kFloat64);
  for (int64_t t = 0; t < trials; ++t) sum_sq += fuse(fuser, c, sigma, 100 + t, zero).to(torch::kFloat64).square();
  const auto var = (sum_sq / trials).sum(0) / c;  // per pixel, pooled over channels

  const auto w = fuser.weights();
  const auto sums = weight_sums(grid, w, grid.extent());
  auto count = torch::zeros({28, 28}, torch::kInt64);
  for (const auto& win : grid.windows()) count.index({Slice(win.y, win.y + p), Slice(win.x, win.x + p)}) += 1;
  const auto predicted = eroded ? sigma * sigma * (sums.root_sq / sums.sum).square()
                                : torch::full({28, 28}, sigma * sigma, torch::kFloat64);
  const auto ratio = var / predicted;  // ~1, standard error sqrt(2 / (trials c)) per pixel
  const double se_pixel = std::sqrt(2.0 / double(trials * c));
  EXPECT_LT((ratio - 1.0).abs().max().item<double>(), 6.0 * se_pixel);
  for (int64_t k : {1, 2, 4}) {
    const auto in_class = count == k;
    const int64_t n = in_class.sum().item<int64_t>() * trials * c;
    ASSERT_GT(n, 0);
    const double pooled = ratio.masked_select(in_class).mean().item<double>();
    EXPECT_NEAR(pooled, 1.0, 6.0 * std::sqrt(2.0 / double(n)))
        << to_string(mode) << " " << to_string(kind) << " overlap " << k;
    if (eroded && k > 1) {
      // The erosion is real and at least 10 standard errors deep, so this test tells avg from
      // vcf: the same samples could not also pass the sigma^2 check.
      const double mean_predicted = predicted.masked_select(in_class).mean().item<double>();
      EXPECT_GT(1.0 - mean_predicted / (sigma * sigma), 10.0 * std::sqrt(2.0 / double(n)));
    }
  }
}

TEST(FusionVariance, VcfKeepsSigmaSquaredAtEveryOverlap) {
  for (auto kind : kAllKinds) check_noise_variance(FusionMode::Vcf, kind, false);
}

TEST(FusionVariance, SdvcKeepsSigmaSquaredAtEveryOverlap) {
  for (auto kind : kAllKinds) check_noise_variance(FusionMode::Sdvc, kind, false);
}

TEST(FusionVariance, NaiveAverageErodesAsPredicted) {
  for (auto kind : kAllKinds) check_noise_variance(FusionMode::Avg, kind, true);
}

TEST(Fusion, AccumulationDoesNotDependOnWindowOrderOrBatch) {
  const int64_t c = 3, p = 32;
  const auto grid = WindowGrid::overlapping(90, 77, p, 20);
  const auto mean = [&](const Window& win) { return window_mean(win, c, p); };
  for (auto mode : {FusionMode::Avg, FusionMode::Vcf, FusionMode::Sdvc}) {
    const Fuser fuser(mode, grid, WeightKind::Cone);
    const auto reference = fuse(fuser, c, 0.8, 3, mean);
    auto order = grid.windows();
    std::mt19937 rng(42);
    for (size_t batch : {1, 4, 7}) {
      std::shuffle(order.begin(), order.end(), rng);
      EXPECT_TRUE(torch::equal(fuse(fuser, c, 0.8, 3, mean, order, batch), reference)) << to_string(mode);
    }
  }
}

TEST(Fusion, ABatchWithGarbageIsCaughtByItsLargestValue) {
  const int64_t c = 3, p = 32;
  const auto grid = WindowGrid::overlapping(90, 77, p, 20);
  const std::vector<Window> windows{grid.window(0), grid.window(1)};
  const auto means = torch::stack({window_mean(windows[0], c, p), window_mean(windows[1], c, p)});
  for (const auto mode : {FusionMode::Sdvc, FusionMode::Vcf}) {
    const Fuser fuser(mode, grid, WeightKind::Cone);
    auto sums = torch::zeros({fuser.planes(), c, grid.extent_height(), grid.extent_width()}, torch::kInt64);
    EXPECT_NO_THROW(check_fixed_point_range(fuser.accumulate(windows, means, {0.5, 1, 3}, sums, 0)));
    for (const double garbage : {std::nan(""), 3e9, -double(INFINITY)}) {
      auto bad = means.clone();
      bad[1][2][5][7] = garbage;
      EXPECT_THROW(check_fixed_point_range(fuser.accumulate(windows, bad, {0.5, 1, 3}, sums, 0)), std::runtime_error)
          << garbage;
    }
  }
}

TEST(Fusion, TilesAddTheirValuesRoundedToFixedPoint) {
  // Tiles: each pixel gets its one tile's value, so the sums are the values' own fixed point,
  // round half to even of value x 2^32, and the largest is the largest |value|.
  const int64_t c = 3, p = 16;
  const Fuser fuser(FusionMode::None, make_grid(FusionMode::None, 32, 48, p, p), WeightKind::Cone);
  const auto windows = fuser.grid().windows();
  ASSERT_EQ(windows.size(), 6u);
  std::vector<torch::Tensor> tiles;
  for (const auto& win : windows) tiles.push_back(window_mean(win, c, p) * 5.0);
  auto means = torch::stack(tiles);
  means[0][0][0][0] = 0.5 / kFixedPointScale;  // exactly half a unit: rounds to even, 0
  means[0][0][0][1] = 1.5 / kFixedPointScale;  // rounds to 2
  auto sums = torch::zeros({1, c, 32, 48}, torch::kInt64);
  const double largest = fuser.accumulate(windows, means, {}, sums, 0).item<double>();
  EXPECT_EQ(largest, means.abs().max().item<double>());
  EXPECT_EQ(sums[0][0][0][0].item<int64_t>(), 0);
  EXPECT_EQ(sums[0][0][0][1].item<int64_t>(), 2);
  for (size_t i = 0; i < windows.size(); ++i) {
    const auto& win = windows[i];
    const auto mean = means[static_cast<int64_t>(i)].to(torch::kFloat64);
    const auto tile = sums[0].index({Slice(), Slice(win.y, win.y + p), Slice(win.x, win.x + p)});
    EXPECT_TRUE(torch::equal(tile, torch::round(mean * kFixedPointScale).to(torch::kInt64))) << i;
    EXPECT_LE((from_fixed_point(tile) - mean).abs().max().item<double>(), 0.5 / kFixedPointScale) << i;
  }
  // The sums must hold every window: the accumulation checks, it does not write out of bounds.
  auto short_sums = torch::zeros({1, c, 24, 48}, torch::kInt64);
  EXPECT_THROW(fuser.accumulate(windows, means, {}, short_sums, 0), std::runtime_error);
  EXPECT_THROW(fuser.accumulate(windows, means, {}, sums, 8), std::runtime_error);
  auto floats = torch::zeros({1, c, 32, 48}, torch::kFloat32);
  EXPECT_THROW(fuser.accumulate(windows, means, {}, floats, 0), std::runtime_error);
}

TEST(FusionMode, ParsesNames) {
  for (auto mode : {FusionMode::None, FusionMode::Avg, FusionMode::Vcf, FusionMode::Sdvc})
    EXPECT_EQ(parse_fusion_mode(to_string(mode)), mode);
  EXPECT_THROW(parse_fusion_mode("mean"), std::runtime_error);
}

}  // namespace
}  // namespace geosr
