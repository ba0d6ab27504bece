// How a distributed run shares a window grid out: runs of whole rows of windows, balanced by the
// windows actually denoised, only neighbours sharing pixel rows, every output row delivered once.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "geosr/core/distributed/row_partition.hpp"

namespace {

using geosr::RowPart;
using geosr::WindowGrid;

// The invariants every partition must keep, whatever the grid and weights.
void expect_consistent(const WindowGrid& grid, const std::vector<int64_t>& active, const std::vector<RowPart>& parts) {
  const auto& origins = grid.origins_y();
  int64_t next_row = 0, next_own = 0, windows = 0;
  bool idle_seen = false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const RowPart& p = parts[i];
    if (p.empty()) {
      idle_seen = true;
      continue;
    }
    EXPECT_FALSE(idle_seen) << "busy parts come first";
    EXPECT_EQ(p.first, next_row) << "rows of windows are contiguous";
    EXPECT_EQ(p.y0, origins[p.first]);
    EXPECT_EQ(p.y1, origins[p.last - 1] + grid.window_size());
    EXPECT_EQ(p.own0, next_own) << "output rows are delivered once";
    EXPECT_GE(p.own0, p.y0);
    EXPECT_LE(p.own1, p.y1);
    int64_t w = 0;
    for (int64_t r = p.first; r < p.last; ++r) w += active[r];
    EXPECT_EQ(p.windows, w);
    windows += w;
    if (i > 0) {
      const RowPart& above = parts[i - 1];
      EXPECT_EQ(p.shared_top, above.y1 - p.y0) << "both sides agree on the rows they share";
      EXPECT_EQ(above.shared_bottom, p.shared_top);
      if (i > 1) EXPECT_LE(parts[i - 2].y1, p.y0) << "only neighbours share rows";
    }
    EXPECT_LE(p.shared_top + p.shared_bottom, p.y1 - p.y0);
    next_row = p.last;
    next_own = p.own1;
  }
  EXPECT_EQ(next_row, static_cast<int64_t>(origins.size()));
  EXPECT_EQ(next_own, grid.extent_height());
  EXPECT_EQ(windows, std::accumulate(active.begin(), active.end(), int64_t{0}));
}

TEST(RowPartition, BalancedRunsOfRowsSharedOnlyWithNeighbours) {
  // 10000 x 3000 px at 128 / 96: 104 rows of 31 windows.
  const auto grid = WindowGrid::overlapping(10000, 3000, 128, 96);
  const std::vector<int64_t> active(grid.origins_y().size(), static_cast<int64_t>(grid.origins_x().size()));
  for (int n : {1, 2, 3, 4, 7, 16}) {
    const auto parts = geosr::partition_rows(grid, active, n);
    ASSERT_EQ(parts.size(), static_cast<size_t>(n));
    expect_consistent(grid, active, parts);
    int64_t least = INT64_MAX, most = 0;
    for (const auto& p : parts) {
      least = std::min(least, p.windows);
      most = std::max(most, p.windows);
      if (n > 1) EXPECT_EQ(p.shared_top + p.shared_bottom > 0, true);
    }
    EXPECT_LE(most - least, active[0]) << n << " parts differ by at most one row of windows";
    if (n > 1) EXPECT_EQ(parts[1].shared_top, 128 - 96);
  }
}

TEST(RowPartition, BalancesTheWindowsThatAreDenoisedNotTheRows) {
  // The top half of the scene is NoData: those rows have no windows to denoise.
  const auto grid = WindowGrid::overlapping(4000, 1000, 128, 96);
  std::vector<int64_t> active(grid.origins_y().size(), 10);
  std::fill(active.begin(), active.begin() + static_cast<long>(active.size() / 2), 0);
  const auto parts = geosr::partition_rows(grid, active, 2);
  expect_consistent(grid, active, parts);
  EXPECT_GT(parts[0].last, static_cast<int64_t>(active.size() * 2 / 3)) << "the first part takes the empty rows";
  EXPECT_LE(std::abs(parts[0].windows - parts[1].windows), 10);
}

TEST(RowPartition, SurplusProcessesStayIdle) {
  // 5 rows of windows, and a part needs 2 (a window spans 2 strides): at most 2 parts.
  const auto grid = WindowGrid::overlapping(255, 255, 64, 48);
  const std::vector<int64_t> active(grid.origins_y().size(), 5);
  ASSERT_EQ(active.size(), 5u);
  const auto parts = geosr::partition_rows(grid, active, 4);
  expect_consistent(grid, active, parts);
  EXPECT_FALSE(parts[1].empty());
  EXPECT_TRUE(parts[2].empty());
  EXPECT_TRUE(parts[3].empty());
  // Non-overlapping tiles share nothing.
  const auto tiles = WindowGrid::tiles(300, 300, 64);
  const auto tile_parts = geosr::partition_rows(tiles, std::vector<int64_t>(tiles.origins_y().size(), 5), 3);
  expect_consistent(tiles, std::vector<int64_t>(tiles.origins_y().size(), 5), tile_parts);
  for (const auto& p : tile_parts) EXPECT_EQ(p.shared_top + p.shared_bottom, 0);
  EXPECT_THROW(geosr::partition_rows(grid, active, 0), std::runtime_error);
}

}  // namespace
