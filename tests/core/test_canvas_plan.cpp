// Where the streaming canvas lives: the tier chosen from the scene's size and the limits, and the
// condition computed once into an array holding what the band-wise source gives.

#include <gtest/gtest.h>

#include "geosr/core/canvas/canvas_plan.hpp"
#include "geosr/core/canvas/condition_source.hpp"
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
  EXPECT_EQ(plan.ram_bytes(), 0.0);
  EXPECT_EQ(plan.device_bytes(), 3.0 * needs.array);
  EXPECT_NE(plan.where().find("cuda:0"), std::string::npos);
  // A byte short of that, or 0 allowed: host RAM; the accelerator holds no canvas.
  EXPECT_EQ(plan_canvas(needs, 1024 * mib, 3.0 * needs.array - 1, gpu, "/tmp").store, CanvasStore::Ram);
  plan = plan_canvas(needs, 1024 * mib, 0.0, gpu, "/tmp");
  EXPECT_EQ(plan.store, CanvasStore::Ram);
  EXPECT_EQ(plan.device_bytes(), 0.0);
  EXPECT_EQ(plan.ram_bytes(), 2.0 * needs.array + needs.band);
  // A CPU never puts it on "the accelerator", whatever the limit says.
  EXPECT_EQ(plan_canvas(needs, 1024 * mib, 1e15, torch::kCPU, "/tmp").store, CanvasStore::Ram);
  // Past the RAM limit: mapped files, RAM bounded by one band; below one band: an error.
  plan = plan_canvas(needs, 2.0 * needs.array, 0.0, torch::kCPU, "/tmp");
  EXPECT_EQ(plan.store, CanvasStore::Mapped);
  EXPECT_EQ(plan.ram_bytes(), needs.band);
  EXPECT_NE(plan.where().find("/tmp"), std::string::npos);
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
}

TEST(SceneArray, ReadsABatchOfRegionsInOneGather) {
  auto array = SceneArray::in_memory(3, 40, 50);
  array->write({0, 0, 40, 50}, torch::randn({3, 40, 50}));
  const std::vector<Region> regions{{0, 0, 16, 16}, {24, 34, 40, 50}, {5, 7, 21, 23}, {0, 0, 16, 16}};
  const auto batch = array->read_regions(regions);
  ASSERT_EQ(batch.sizes(), (std::vector<int64_t>{4, 3, 16, 16}));
  for (size_t i = 0; i < regions.size(); ++i)
    EXPECT_TRUE(torch::equal(batch[static_cast<int64_t>(i)], array->read(regions[i]))) << i;
  EXPECT_THROW(array->read_regions({{0, 0, 16, 16}, {0, 0, 8, 16}}), std::runtime_error);
  EXPECT_THROW(array->read_regions({{30, 40, 46, 56}}), std::runtime_error);
}

TEST(ConditionArray, HoldsWhatTheBandwiseSourceGives) {
  const ChipDataset chips({(test::samples() / "chips" / "val.chips").string()});
  const auto lr = chips.normalized(2).slice(1, 0, 21).slice(2, 0, 17).contiguous();
  const WindowGrid grid = WindowGrid::overlapping(105, 85, 32, 24);  // extent larger than the scene
  ConditionSource source(
      [lr](Span rows, Span cols) {
        return LrBlock{lr.slice(1, rows.begin, rows.end).slice(2, cols.begin, cols.end),
                       torch::ones({rows.size(), cols.size()}, torch::kBool)};
      },
      21, 17, grid);
  const auto array = condition_array(source, grid, torch::kCPU);
  ASSERT_EQ(array->height(), grid.extent_height());
  ASSERT_EQ(array->width(), grid.extent_width());
  for (const Window& win : grid.windows())
    ASSERT_TRUE(torch::equal(array->read(grid.footprint(win)), source.read(grid.footprint(win)))) << win.index;
}

}  // namespace
