// Blocks of a scene denoised on their own (the GDAL driver's reads): with a halo reaching every
// window they are the whole-scene run's bytes, tiles need no halo at all, and with the bundled
// model a halo of two windows brings a block within a grey level of the whole-scene run.

#include <gtest/gtest.h>

#include "geosr/core/canvas/condition_source.hpp"
#include "geosr/core/canvas/region_sampler.hpp"
#include "geosr/core/canvas/scene_sampler.hpp"
#include "geosr/core/grid/reflect_pad.hpp"
#include "geosr/core/inference/diffusion_setup.hpp"
#include "scene_fixtures.hpp"

namespace {

using namespace geosr;
using test::ddpm;

// A chip of its own, other than the streaming tests'.
torch::Tensor naip_lr(int64_t h, int64_t w) { return test::naip_lr(h, w, 2); }

RegionReader condition_of(const torch::Tensor& lr, const WindowGrid& grid) {
  const LrReader reader = [lr](Span rows, Span cols) {
    const auto block = lr.slice(1, rows.begin, rows.end).slice(2, cols.begin, cols.end);
    return LrBlock{block, torch::ones({block.size(1), block.size(2)}, torch::kBool)};
  };
  return [reader, lr, &grid](const Region& r) { return read_condition(reader, lr.size(1), lr.size(2), grid, r); };
}

torch::Tensor block_of(const torch::Tensor& scene, const Region& r) {
  return scene.slice(1, r.y0, r.y1).slice(2, r.x0, r.x1);
}

TEST(RegionSampler, ReadConditionIsTheWholeSceneConditionReflected) {
  const auto lr = naip_lr(13, 29);  // 65 x 145 at 5x: the 128-px window pads the rows
  const auto grid = WindowGrid::overlapping(65, 145, 128, 96);
  const auto whole = reflect_pad(condition_from_lr(lr, 65, 145), grid.extent_height(), grid.extent_width());
  const auto read = condition_of(lr, grid);
  for (const Region& r : {grid.extent(), Region{40, 17, 128, 100}, Region{0, 96, 128, 145}}) {
    EXPECT_TRUE(torch::allclose(read(r), block_of(whole, r), 0.0, 1e-5));
  }
}

TEST(RegionSampler, HaloReachingEveryWindowGivesTheWholeSceneBytes) {
  torch::manual_seed(0);
  const Denoiser denoiser = make_denoiser(UNet(UNetConfig::preset("tiny", 3)), torch::kCPU);
  const auto lr = naip_lr(23, 19);
  const auto sampler = ddpm(3);
  for (auto mode : {FusionMode::Sdvc, FusionMode::Vcf, FusionMode::Avg, FusionMode::None}) {
    SCOPED_TRACE(to_string(mode));
    const auto o = test::small_windows(mode, 5);
    const auto expected = sample_scene(denoiser, *sampler, condition_from_lr(lr, 115, 95), o);
    const Fuser fuser(mode, make_grid(mode, 115, 95, 32, 24), o.weights);
    const RegionRun run{denoiser, *sampler, fuser, condition_of(lr, fuser.grid()), o.seed, 3, torch::kCPU};
    const Region block{40, 30, 77, 61};
    EXPECT_TRUE(torch::equal(sample_region(run, block, 1000), block_of(expected, block)));
    if (mode == FusionMode::None) {  // tiles are independent: no halo needed
      EXPECT_TRUE(torch::equal(sample_region(run, block, 0), block_of(expected, block)));
    } else {  // here a small halo cannot be exact
      EXPECT_FALSE(torch::equal(sample_region(run, block, 0), block_of(expected, block)));
    }
  }
  const Fuser fuser(FusionMode::Sdvc, make_grid(FusionMode::Sdvc, 115, 95, 32, 24), WeightKind::Cone);
  const RegionRun run{denoiser, *sampler, fuser, condition_of(lr, fuser.grid()), 5, 3, torch::kCPU};
  EXPECT_THROW(sample_region(run, {100, 0, 120, 10}, 8), std::runtime_error);  // outside the scene
  EXPECT_THROW(sample_region(run, {0, 0, 10, 10}, -1), std::runtime_error);
}

TEST(RegionSampler, TwoWindowsOfHaloBringABlockCloseToTheWholeScene) {
  DiffusionSettings settings;
  settings.model = (geosr::test::samples() / "models" / "naip-rgb-x5-tiny.safetensors").string();
  settings.steps = 10;
  settings.seed = 3;
  settings.window = 64;  // a 480-px scene of 10 x 10 windows, so that halos of 0 and 1 window differ
  const DiffusionSetup setup = prepare_diffusion(settings);
  const ChipDataset chips({(geosr::test::samples() / "chips" / "val.chips").string()});
  const auto lr = torch::cat({torch::cat({chips.normalized(0), chips.normalized(1)}, 2),
                              torch::cat({chips.normalized(2), chips.normalized(3)}, 2)},
                             1);  // 96 x 96 of real pixels, 480 x 480 out
  SceneSamplerOptions o;
  o.window = setup.window;
  o.stride = setup.stride;
  o.seed = settings.seed;
  const auto whole = sample_scene(setup.denoiser, *setup.sampler, condition_from_lr(lr, 480, 480), o);
  const Fuser fuser = setup.fuser(480, 480);
  const RegionRun run{setup.denoiser, *setup.sampler, fuser, condition_of(lr, fuser.grid()), o.seed, 8, torch::kCPU};
  const Region block{192, 192, 256, 256};
  const auto expected = block_of(whole, block);
  const auto error = [&](int64_t halo) { return (sample_region(run, block, halo) - expected).abs().mean().item<double>(); };
  const double none = error(0), two = error(2 * setup.window);
  // In grey levels (x 127.5; another seed differs by ~20): two windows of halo (the driver's
  // default) leave a small fraction of the halo-less error.
  EXPECT_LT(two * 127.5, 1.0) << "halo of two windows: " << two * 127.5 << " grey levels";
  EXPECT_LT(two, 0.25 * none) << "no halo " << none * 127.5 << ", two windows " << two * 127.5;
}

}  // namespace
