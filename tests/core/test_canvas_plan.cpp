// Where the streaming canvas lives: the tier chosen from the scene's size and the limits, and the
// condition computed once into an array holding what the band-wise source gives, a mapped one
// keeping only the rows being read resident.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "geosr/core/canvas/canvas_plan.hpp"
#include "geosr/core/canvas/condition_cache.hpp"
#include "geosr/core/canvas/region_indices.hpp"
#include "geosr/core/train/chip_dataset.hpp"
#include "test_support.hpp"

namespace {

using namespace geosr;

TEST(CanvasPlan, TakesTheFastestTierTheLimitsAllow) {
  const WindowGrid grid = WindowGrid::overlapping(2000, 1500, 128, 96);
  const CanvasNeeds needs = canvas_needs(4, grid, 1);
  EXPECT_DOUBLE_EQ(needs.array, 16.0 * grid.extent_height() * grid.extent_width());
  const double mib = 1 << 20;
  const torch::Device gpu(torch::kCUDA, 0);
  // Room on the accelerator for both arrays and the condition: nothing on the host.
  CanvasPlan plan = plan_canvas(needs, 1024 * mib, 3.0 * needs.array, gpu, "/tmp");
  EXPECT_EQ(plan.store, CanvasStore::Device);
  EXPECT_EQ(plan.condition_store, CanvasStore::Device);
  EXPECT_EQ(plan.ram_bytes(), 0.0);
  EXPECT_EQ(plan.device_bytes(), 3.0 * needs.array);
  EXPECT_NE(plan.where().find("cuda:0"), std::string::npos);
  // A byte short of that: the arrays in host RAM, the condition alone on the accelerator.
  plan = plan_canvas(needs, 1024 * mib, 3.0 * needs.array - 1, gpu, "/tmp");
  EXPECT_EQ(plan.store, CanvasStore::Ram);
  EXPECT_EQ(plan.condition_store, CanvasStore::Device);
  EXPECT_EQ(plan.device_bytes(), needs.array);
  EXPECT_EQ(plan.ram_bytes(), 2.0 * needs.array + needs.band);
  // Not even the condition fits, or 0 allowed: all in RAM, nothing on the accelerator.
  plan = plan_canvas(needs, 1024 * mib, needs.array - 1, gpu, "/tmp");
  EXPECT_EQ(plan.condition_store, CanvasStore::Ram);
  EXPECT_EQ(plan.device_bytes(), 0.0);
  EXPECT_EQ(plan.ram_bytes(), 3.0 * needs.array + needs.band);
  EXPECT_NE(plan.where(plan.condition_store).find("RAM"), std::string::npos);
  plan = plan_canvas(needs, 1024 * mib, 0.0, gpu, "/tmp");
  EXPECT_EQ(plan.store, CanvasStore::Ram);
  EXPECT_EQ(plan.device_bytes(), 0.0);
  // A CPU never puts anything on "the accelerator", whatever the limit says.
  plan = plan_canvas(needs, 1024 * mib, 1e15, torch::kCPU, "/tmp");
  EXPECT_EQ(plan.store, CanvasStore::Ram);
  EXPECT_EQ(plan.condition_store, CanvasStore::Ram);
  // The arrays fit RAM but the condition not beside them: it goes to a mapped file.
  plan = plan_canvas(needs, 3.0 * needs.array, 0.0, torch::kCPU, "/tmp");
  EXPECT_EQ(plan.store, CanvasStore::Ram);
  EXPECT_EQ(plan.condition_store, CanvasStore::Mapped);
  EXPECT_EQ(plan.ram_bytes(), 2.0 * needs.array + needs.band);
  // The arrays past the RAM limit: mapped files, and the condition back in RAM if it fits there.
  plan = plan_canvas(needs, 2.0 * needs.array, 0.0, torch::kCPU, "/tmp");
  EXPECT_EQ(plan.store, CanvasStore::Mapped);
  EXPECT_EQ(plan.condition_store, CanvasStore::Ram);
  EXPECT_EQ(plan.ram_bytes(), needs.array + needs.band);
  EXPECT_NE(plan.where().find("/tmp"), std::string::npos);
  // Not even the condition fits: all mapped, RAM bounded by one band; below one band: an error.
  plan = plan_canvas(needs, needs.array + needs.band - 1, 0.0, torch::kCPU, "/tmp");
  EXPECT_EQ(plan.store, CanvasStore::Mapped);
  EXPECT_EQ(plan.condition_store, CanvasStore::Mapped);
  EXPECT_EQ(plan.ram_bytes(), needs.band);
  // Mapped arrays with the condition still on the accelerator.
  plan = plan_canvas(needs, 2.0 * needs.array, needs.array, gpu, "/tmp");
  EXPECT_EQ(plan.store, CanvasStore::Mapped);
  EXPECT_EQ(plan.condition_store, CanvasStore::Device);
  EXPECT_THROW(plan_canvas(needs, needs.band - 1, 0.0, torch::kCPU, "/tmp"), std::runtime_error);
}

TEST(CanvasPlan, ArraysGoWhereThePlanSays) {
  CanvasPlan plan;
  plan.tmpdir = test::scratch("canvas_plan").string();
  plan.store = CanvasStore::Mapped;
  auto mapped = plan.new_array(2, 30, 40);
  mapped->write({0, 0, 30, 40}, torch::ones({2, 30, 40}));
  EXPECT_EQ(mapped->read({5, 5, 10, 10}).sum().item<double>(), 50.0);
  plan.store = CanvasStore::Device;  // on a CPU "device": plain memory
  EXPECT_TRUE(plan.new_array(2, 30, 40)->data().is_cpu());
  plan.condition_store = CanvasStore::Mapped;
  auto condition = plan.new_condition_array(2, 30, 40);
  condition->write({0, 0, 30, 40}, torch::ones({2, 30, 40}));
  EXPECT_EQ(condition->read({0, 0, 30, 40}).sum().item<double>(), 2400.0);
  EXPECT_TRUE(std::filesystem::is_empty(plan.tmpdir)) << "mapped files are unlinked";
}

TEST(SceneArray, ReadsABatchOfRegions) {
  auto array = SceneArray::in_memory(3, 40, 50);
  array->write({0, 0, 40, 50}, torch::randn({3, 40, 50}));
  const std::vector<Region> regions{{0, 0, 16, 16}, {24, 34, 40, 50}, {5, 7, 21, 23}, {0, 0, 16, 16}};
  const auto batch = array->read_regions(regions);
  // The accelerators' path (one indexing operation), run here on the CPU, from rows 3 down.
  std::vector<Region> shifted;
  for (const Region& r : regions) shifted.push_back({r.y0 + 3, r.x0, r.y1 + 3, r.x1});
  const auto indexed = index_regions(array->data(), region_indices(shifted, 3, torch::kCPU));
  ASSERT_EQ(batch.sizes(), (std::vector<int64_t>{4, 3, 16, 16}));
  EXPECT_TRUE(indexed.is_contiguous());
  EXPECT_TRUE(torch::equal(indexed, batch));
  for (size_t i = 0; i < regions.size(); ++i)
    EXPECT_TRUE(torch::equal(batch[static_cast<int64_t>(i)], array->read(regions[i]))) << i;
  EXPECT_THROW(array->read_regions({{0, 0, 16, 16}, {0, 0, 8, 16}}), std::runtime_error);
  EXPECT_THROW(array->read_regions({{30, 40, 46, 56}}), std::runtime_error);
}

ConditionSource naip_condition(const torch::Tensor& lr, const WindowGrid& grid) {
  return ConditionSource(
      [lr](Span rows, Span cols) {
        return LrBlock{lr.slice(1, rows.begin, rows.end).slice(2, cols.begin, cols.end),
                       torch::ones({rows.size(), cols.size()}, torch::kBool)};
      },
      lr.size(1), lr.size(2), grid);
}

TEST(ConditionCache, HoldsWhatTheBandwiseSourceGives) {
  const ChipDataset chips({(test::samples() / "chips" / "val.chips").string()});
  const auto lr = chips.normalized(2).slice(1, 0, 21).slice(2, 0, 17).contiguous();
  const WindowGrid grid = WindowGrid::overlapping(105, 85, 32, 24);  // extent larger than the scene
  ConditionSource source = naip_condition(lr, grid);
  ConditionCache whole(source, grid, {0, grid.extent_height()},
                       SceneArray::in_memory(3, grid.extent_height(), grid.extent_width()));
  // Rows of windows 1 and 2 only (a process of a distributed run): rows 24 .. 80 of the extent.
  const Span rows = window_rows(grid, 1, 3);
  ASSERT_EQ(rows.begin, 24);
  ASSERT_EQ(rows.end, 80);
  ConditionCache part(source, grid, rows, SceneArray::mapped(test::scratch("condition_cache").string(), 3,
                                                             rows.size(), grid.extent_width()));
  std::vector<Region> footprints;
  for (const Window& win : grid.windows()) footprints.push_back(grid.footprint(win));
  const auto batch = whole.read_windows(footprints);
  ASSERT_EQ(batch.sizes(), (std::vector<int64_t>{grid.size(), 3, 32, 32}));
  for (const Window& win : grid.windows()) {
    const Region at = grid.footprint(win);
    ASSERT_TRUE(torch::equal(batch[win.index], source.read(at))) << win.index;
    if (at.y0 >= rows.begin && at.y1 <= rows.end)
      ASSERT_TRUE(torch::equal(part.read_windows({at})[0], source.read(at))) << win.index;
  }
  EXPECT_THROW(part.read_windows({grid.footprint(grid.window(0))}), std::runtime_error);
  EXPECT_THROW(ConditionCache(source, grid, rows, SceneArray::in_memory(3, 10, grid.extent_width())),
               std::runtime_error);
}

// Resident pages of mapped files, in MiB (RssFile in /proc/self/status).
double rss_file_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("RssFile:", 0) == 0) return std::stod(line.substr(8)) / 1024.0;
  return -1.0;
}

TEST(ConditionCache, AMappedCacheKeepsOnlyTheRowsBeingRead) {
  // A 1920 x 1920 condition of 3 bands: 42 MiB mapped, read row of windows by row of windows.
  const ChipDataset chips({(test::samples() / "chips" / "val.chips").string()});
  const auto lr = chips.normalized(0).contiguous();  // 48 x 48, 40x up
  const WindowGrid grid = WindowGrid::overlapping(1920, 1920, 128, 128);
  ConditionSource source = naip_condition(lr, grid);
  const double baseline = rss_file_mib();
  ConditionCache cached(source, grid, {0, grid.extent_height()},
                        SceneArray::mapped(test::scratch("condition_cache_rss").string(), 3, grid.extent_height(),
                                           grid.extent_width()));
  // RssFile also counts LibTorch's code pages as they are first run: a few MiB of slack.
  EXPECT_LT(rss_file_mib() - baseline, 16.0) << "written band by band and given back";
  double most = 0.0, sum = 0.0;
  for (int step = 0; step < 2; ++step) {
    for (int64_t y : grid.origins_y()) {
      std::vector<Region> row;
      for (int64_t x : grid.origins_x()) row.push_back({y, x, y + 128, x + 128});
      sum += cached.read_windows(row).sum().item<double>();
      most = std::max(most, rss_file_mib() - baseline);
    }
  }
  EXPECT_LT(most, 16.0) << "about two rows of windows (2.8 MiB each) resident, not 42 MiB";
  EXPECT_TRUE(std::isfinite(sum));
  EXPECT_GT(cached.read_windows({{1792, 0, 1920, 128}}).abs().sum().item<double>(), 0.0) << "the data is kept";
}

}  // namespace
