// The window grid: exact coverage of awkward scene sizes, the official layout, region queries.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "geosr/core/grid/reflect_pad.hpp"
#include "geosr/core/grid/window_grid.hpp"

namespace geosr {
namespace {

// How many windows cover each pixel of the extent, by brute force over all windows.
torch::Tensor coverage(const WindowGrid& grid) {
  auto count = torch::zeros({grid.extent_height(), grid.extent_width()}, torch::kInt32);
  const int64_t p = grid.window_size();
  for (const auto& w : grid.windows()) {
    EXPECT_GE(w.y, 0);
    EXPECT_GE(w.x, 0);
    EXPECT_LE(w.y + p, grid.extent_height());
    EXPECT_LE(w.x + p, grid.extent_width());
    count.index({torch::indexing::Slice(w.y, w.y + p), torch::indexing::Slice(w.x, w.x + p)}) += 1;
  }
  return count;
}

TEST(WindowGrid, OfficialLayoutAlongOneAxis) {
  // 512 / 384: regular origins while they fit, then one window flush with the end.
  EXPECT_EQ(window_origins(512, 512, 384), (std::vector<int64_t>{0}));
  EXPECT_EQ(window_origins(1280, 512, 384), (std::vector<int64_t>{0, 384, 768}));
  EXPECT_EQ(window_origins(1300, 512, 384), (std::vector<int64_t>{0, 384, 768, 788}));
  EXPECT_EQ(window_origins(513, 512, 384), (std::vector<int64_t>{0, 1}));
  EXPECT_THROW(window_origins(100, 64, 0), std::runtime_error);
  EXPECT_THROW(window_origins(100, 64, 65), std::runtime_error);
}

TEST(WindowGrid, CoversAwkwardSizesExactly) {
  const int64_t p = 64, s = 48;
  const std::vector<int64_t> sizes = {1, 2, p - 1, p, p + 1, 97, 331};
  for (int64_t h : sizes) {
    for (int64_t w : sizes) {
      SCOPED_TRACE(std::to_string(h) + " x " + std::to_string(w));
      for (const auto& grid : {WindowGrid::overlapping(h, w, p, s), WindowGrid::tiles(h, w, p)}) {
        EXPECT_GE(grid.extent_height(), std::max(h, p));
        EXPECT_GE(grid.extent_width(), std::max(w, p));
        EXPECT_EQ(grid.scene(), (Region{0, 0, h, w}));
        EXPECT_EQ(grid.padded(), grid.extent_height() != h || grid.extent_width() != w);
        const auto count = coverage(grid);
        EXPECT_GE(count.min().item<int>(), 1) << "a pixel is covered by no window";
        if (grid.stride() == p) EXPECT_EQ(count.max().item<int>(), 1) << "tiles overlap";
      }
      // The overlapping layout pads only where the scene is shorter than one window.
      const auto grid = WindowGrid::overlapping(h, w, p, s);
      EXPECT_EQ(grid.extent_height(), std::max(h, p));
      EXPECT_EQ(grid.extent_width(), std::max(w, p));
    }
  }
}

TEST(WindowGrid, WindowsTouchingARegionMatchBruteForce) {
  const auto grid = WindowGrid::overlapping(331, 97, 64, 40);
  const std::vector<Region> regions = {{0, 0, 1, 1},     {63, 63, 65, 65}, {100, 10, 180, 90},
                                       {330, 96, 331, 97}, {0, 0, 331, 97},  {200, 50, 201, 51}};
  for (const auto& r : regions) {
    std::vector<int64_t> expected, found;
    for (const auto& w : grid.windows())
      if (!grid.footprint(w).intersect(r).empty()) expected.push_back(w.index);
    for (const auto& w : grid.windows_touching(r)) {
      found.push_back(w.index);
      EXPECT_EQ(grid.window(w.index).y, w.y);
      EXPECT_EQ(grid.window(w.index).x, w.x);
    }
    EXPECT_EQ(found, expected);
  }
}

TEST(WindowGrid, CropHoldsTheWindowsTouchingARegionWhereTheyWere) {
  const auto grid = WindowGrid::overlapping(331, 97, 64, 40);
  for (const Region& r : {Region{100, 10, 180, 90}, Region{0, 0, 1, 1}, Region{300, 40, 331, 97}}) {
    const auto crop = grid.crop(r);
    const auto expected = grid.windows_touching(r);
    ASSERT_EQ(crop.size(), static_cast<int64_t>(expected.size()));
    for (const auto& w : crop.windows()) {
      const Window& e = expected[static_cast<size_t>(w.index)];
      EXPECT_EQ(crop.origin_y() + w.y, e.y);
      EXPECT_EQ(crop.origin_x() + w.x, e.x);
    }
    EXPECT_EQ(crop.origin_y(), expected.front().y);
    EXPECT_EQ(crop.extent_height(), expected.back().y + 64 - expected.front().y);
    EXPECT_EQ(crop.extent_width(), expected.back().x + 64 - expected.front().x);
    EXPECT_EQ(crop.height(), std::min(crop.extent_height(), 331 - crop.origin_y()));
    // A crop of a crop still knows where it lies in the full grid.
    const auto inner = crop.crop({0, 0, 1, 1});
    EXPECT_EQ(inner.size(), 1);
    EXPECT_EQ(inner.origin_y(), crop.origin_y());
    EXPECT_EQ(inner.origin_x(), crop.origin_x());
  }
  EXPECT_EQ(grid.crop(grid.extent()).size(), grid.size());
  EXPECT_THROW(grid.crop({400, 0, 410, 10}), std::runtime_error);
}

TEST(WindowGrid, RejectsBadInput) {
  EXPECT_THROW(WindowGrid::overlapping(0, 10, 8, 4), std::runtime_error);
  EXPECT_THROW(WindowGrid::overlapping(10, 10, 8, 9), std::runtime_error);
  EXPECT_THROW(WindowGrid::tiles(10, 10, 0), std::runtime_error);
  EXPECT_THROW(WindowGrid::overlapping(10, 10, 8, 4).window(100), std::runtime_error);
}

TEST(ReflectPad, MirrorsAboutTheLastPixelAndKeepsTheScene) {
  const auto raster = torch::arange(12, torch::kFloat32).view({1, 3, 4});
  const auto padded = reflect_pad(raster, 7, 9);
  ASSERT_EQ(padded.sizes(), (std::vector<int64_t>{1, 7, 9}));
  using torch::indexing::Slice;
  EXPECT_TRUE(torch::equal(padded.index({0, Slice(0, 3), Slice(0, 4)}), raster[0]));
  // Rows 0 1 2 | 1 0 1 2 and columns 0 1 2 3 | 2 1 0 1 2.
  const std::vector<int64_t> rows = {0, 1, 2, 1, 0, 1, 2}, cols = {0, 1, 2, 3, 2, 1, 0, 1, 2};
  for (int64_t y = 0; y < 7; ++y)
    for (int64_t x = 0; x < 9; ++x)
      EXPECT_EQ(padded[0][y][x].item<float>(), raster[0][rows[y]][cols[x]].item<float>());
  // A single pixel fills any extent.
  const auto one = reflect_pad(torch::full({2, 1, 1}, 0.5f), 8, 8);
  EXPECT_TRUE(torch::all(one == 0.5f).item<bool>());
}

}  // namespace
}  // namespace geosr
