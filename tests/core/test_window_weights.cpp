// Window weights and their per-pixel sums W and S computed from the grid alone.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "geosr/core/grid/window_weights.hpp"

namespace geosr {
namespace {

using torch::indexing::Slice;

// Full-extent W and S maps by brute force: every window adds its weights everywhere it lies.
WeightSums brute_force(const WindowGrid& grid, const torch::Tensor& w) {
  auto sum = torch::zeros({grid.extent_height(), grid.extent_width()}, torch::kFloat64);
  auto sum_sq = torch::zeros_like(sum);
  const int64_t p = grid.window_size();
  for (const auto& win : grid.windows()) {
    sum.index({Slice(win.y, win.y + p), Slice(win.x, win.x + p)}) += w;
    sum_sq.index({Slice(win.y, win.y + p), Slice(win.x, win.x + p)}) += w * w;
  }
  return {sum, sum_sq.sqrt()};
}

const std::vector<WeightKind> kAllKinds = {WeightKind::Cone, WeightKind::Tent, WeightKind::Gaussian,
                                           WeightKind::Uniform};

TEST(WindowWeights, ShapesSymmetryAndPositivity) {
  for (auto kind : kAllKinds) {
    for (int64_t p : {1, 7, 64}) {
      const auto w = window_weights(kind, p);
      ASSERT_EQ(w.sizes(), (std::vector<int64_t>{p, p}));
      EXPECT_EQ(w.scalar_type(), torch::kFloat64);
      EXPECT_GT(w.min().item<double>(), 0.0) << to_string(kind) << " P=" << p;
      EXPECT_LE(w.max().item<double>(), 1.0 + 1e-4 + 1e-12);
      EXPECT_TRUE(torch::allclose(w, w.flip({0}), 0, 1e-15));
      EXPECT_TRUE(torch::allclose(w, w.flip({1}), 0, 1e-15));
      EXPECT_TRUE(torch::allclose(w, w.t(), 0, 1e-15));
    }
    EXPECT_EQ(parse_weight_kind(to_string(kind)), kind);
  }
  EXPECT_THROW(parse_weight_kind("triangle"), std::runtime_error);
}

TEST(WindowWeights, ConeFollowsTheOfficialFormula) {
  const int64_t p = 64;
  const auto w = window_weights(WeightKind::Cone, p);
  // Pixel centres at i + 0.5, window centre at P/2, d_max = P/sqrt(2) (centre to window corner).
  const double d_max = p / std::sqrt(2.0);
  for (int64_t i : {0, 10, 31, 32, 63})
    for (int64_t j : {0, 5, 32, 63}) {
      const double d = std::hypot(i + 0.5 - p / 2.0, j + 0.5 - p / 2.0);
      EXPECT_NEAR(w[i][j].item<double>(), 1.0 - d / d_max + 1e-4, 1e-12);
    }
  // The four centre pixels are the peak, the corners the minimum.
  EXPECT_DOUBLE_EQ(w.max().item<double>(), w[31][31].item<double>());
  EXPECT_DOUBLE_EQ(w.min().item<double>(), w[0][0].item<double>());
}

TEST(WindowWeights, GaussianHasVarianceOneHundredthInNormalizedCoordinates) {
  const int64_t p = 100;
  const auto w = window_weights(WeightKind::Gaussian, p);
  const double u = (10 + 0.5) / p - 0.5;  // normalized offset of pixel 10 from the centre
  EXPECT_NEAR(w[10][49].item<double>() / w[49][49].item<double>(),
              std::exp(-(u * u - std::pow(49.5 / p - 0.5, 2)) / 0.02), 1e-12);
}

TEST(WeightSums, FromTheGridEqualBruteForceMaps) {
  struct Case { int64_t h, w, p, s; };
  for (const auto& c : {Case{97, 331, 32, 24}, Case{64, 64, 64, 48}, Case{65, 1, 64, 48},
                        Case{150, 131, 40, 40}, Case{200, 90, 48, 13}}) {
    const auto grid = WindowGrid::overlapping(c.h, c.w, c.p, c.s);
    for (auto kind : kAllKinds) {
      SCOPED_TRACE(to_string(kind) + " " + std::to_string(c.h) + "x" + std::to_string(c.w));
      const auto w = window_weights(kind, c.p);
      const auto full = brute_force(grid, w);
      EXPECT_GT(full.sum.min().item<double>(), 0.0) << "W must be positive everywhere";
      // Whole extent, a single pixel, and odd rectangles straddling window edges.
      const std::vector<Region> regions = {grid.extent(), {0, 0, 1, 1},
                                           {grid.extent_height() - 1, grid.extent_width() - 1,
                                            grid.extent_height(), grid.extent_width()},
                                           {c.s - 1, 0, std::min<int64_t>(grid.extent_height(), c.s + 17),
                                            std::min<int64_t>(grid.extent_width(), 29)}};
      for (const auto& r : regions) {
        const auto sums = weight_sums(grid, w, r);
        const auto idx = std::vector<torch::indexing::TensorIndex>{Slice(r.y0, r.y1), Slice(r.x0, r.x1)};
        EXPECT_TRUE(torch::allclose(sums.sum, full.sum.index(idx), 1e-12, 1e-12));
        EXPECT_TRUE(torch::allclose(sums.root_sq, full.root_sq.index(idx), 1e-12, 1e-12));
      }
    }
  }
}

}  // namespace
}  // namespace geosr
