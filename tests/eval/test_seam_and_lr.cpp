// Seam score on real imagery: about 1 without seams, clearly above 1 when the candidate was made
// tile by tile; LR consistency of the training degradation; both equal block-wise and whole.
#include <gtest/gtest.h>

#include "eval_test_data.hpp"
#include "geosr/core/resample/resample.hpp"
#include "geosr/eval/lr_consistency.hpp"
#include "geosr/eval/raster_evaluation.hpp"
#include "geosr/eval/seam.hpp"

namespace {

using geosr::Region;
using namespace geosr::eval;

// 512 x 512 of a continuous real scene (NAIP resampled to 5 m, North Dakota). The file has faint
// 8-pixel block artefacts of its own (gradients ~13% stronger into rows = 4 and columns = 5
// mod 8, measured with NumPy); the crop puts the test grids' lines (multiples of 8 from its
// origin) off that phase, so that the HR is seam-free on them.
torch::Tensor scene() {
  return geosr::test::read_raster(geosr::test::shared_data() / "scenes" / "naip_5m_nd_20200831.tif")
      .narrow(1, 102, 512)
      .narrow(2, 200, 512)
      .contiguous();
}

SeamScores seam_scores(const torch::Tensor& ref, const torch::Tensor& cand, int64_t window, int64_t stride,
                       int64_t block = 0) {
  const SceneShape scene{ref.size(1), ref.size(2), ref.size(0)};
  if (block == 0) block = std::max(scene.height, scene.width);
  SeamAccumulator acc(scene, window, stride);
  for (int64_t y = 0; y < scene.height; y += block) {
    for (int64_t x = 0; x < scene.width; x += block) {
      const Region core{y, x, std::min(scene.height, y + block), std::min(scene.width, x + block)};
      acc.add(crop_block(ref, cand, {}, core, SeamAccumulator::kHalo));
    }
  }
  return acc.scores();
}

TEST(SeamLines, OfficialGridWithEdgeFlushWindow) {
  // Windows at 0, 384 and the edge-flush 488 (1000 - 512): starts 384, 488; ends 512, 896.
  EXPECT_EQ(seam_lines(1000, 512, 384), (std::vector<int64_t>{384, 488, 512, 896}));
  EXPECT_EQ(seam_lines(1024, 512, 512), (std::vector<int64_t>{512}));
  EXPECT_TRUE(seam_lines(300, 512, 384).empty());
}

TEST(SeamScore, AboutOneWithoutSeams) {
  const auto hr = scene();
  const auto s = seam_scores(hr, hr, 96, 72);
  EXPECT_NEAR(s.candidate, 1.0, 0.15);
  EXPECT_EQ(s.candidate, s.reference);
  // The smooth bicubic baseline has no window structure either.
  const auto bicubic = geosr::condition_from_lr(geosr::degrade(hr, 4), 512, 512);
  EXPECT_NEAR(seam_scores(hr, bicubic, 96, 72).candidate, 1.0, 0.15);
}

TEST(SeamScore, AboveOneWhenMadeTileByTile) {
  // The SR3 baseline's failure: each 64 x 64 tile upsampled from its own LR tile alone, so each
  // tile's border is extrapolated and neighbouring tiles disagree at the joins.
  const auto hr = scene();
  const auto lr = geosr::degrade(hr, 4);
  auto tiled = torch::empty_like(hr);
  for (int64_t y = 0; y < 512; y += 64) {
    for (int64_t x = 0; x < 512; x += 64) {
      const auto lr_tile = lr.narrow(1, y / 4, 16).narrow(2, x / 4, 16);
      tiled.narrow(1, y, 64).narrow(2, x, 64).copy_(geosr::condition_from_lr(lr_tile, 64, 64));
    }
  }
  const auto s = seam_scores(hr, tiled, 64, 64);
  EXPECT_GT(s.candidate, 1.3);
  EXPECT_NEAR(s.reference, 1.0, 0.15);
  // Streaming in awkward blocks gives the same numbers.
  const auto streamed = seam_scores(hr, tiled, 64, 64, 45);
  EXPECT_NEAR(streamed.candidate, s.candidate, 1e-12);
  EXPECT_NEAR(streamed.reference, s.reference, 1e-12);
}

double lr_mae(const torch::Tensor& cand, const torch::Tensor& lr, int64_t scale, int64_t lr_block) {
  LrConsistencyAccumulator acc(cand.size(0), scale);
  const auto cand_valid = torch::ones({cand.size(1), cand.size(2)}, torch::kBool);
  const auto lr_valid = torch::ones({lr.size(1), lr.size(2)}, torch::kBool);
  for (int64_t y = 0; y < lr.size(1); y += lr_block) {
    for (int64_t x = 0; x < lr.size(2); x += lr_block) {
      const int64_t h = std::min(lr_block, lr.size(1) - y), w = std::min(lr_block, lr.size(2) - x);
      acc.add(cand.narrow(1, y * scale, h * scale).narrow(2, x * scale, w * scale),
              cand_valid.narrow(0, y * scale, h * scale).narrow(1, x * scale, w * scale),
              lr.narrow(1, y, h).narrow(2, x, w), lr_valid.narrow(0, y, h).narrow(1, x, w));
    }
  }
  return acc.mae().overall;
}

TEST(LrConsistency, ZeroForTheHrItselfAndStreamingEqualsWhole) {
  const auto hr = scene();
  const auto lr = geosr::degrade(hr, 4);
  EXPECT_NEAR(lr_mae(hr, lr, 4, 128), 0.0, 1e-9);
  // Bicubic upsampling does not reproduce its LR under area downsampling.
  const auto bicubic = geosr::condition_from_lr(lr, 512, 512);
  const double expected = (geosr::degrade(bicubic, 4) - lr).abs().mean().item<double>();
  EXPECT_GT(expected, 0.5);
  EXPECT_NEAR(lr_mae(bicubic, lr, 4, 128), expected, 1e-9);
  EXPECT_NEAR(lr_mae(bicubic, lr, 4, 37), expected, 1e-9);
}

TEST(LrConsistency, MisalignedBlockIsRefused) {
  LrConsistencyAccumulator acc(1, 4);
  const auto cand = torch::zeros({1, 30, 32}, torch::kFloat64);
  const auto lr = torch::zeros({1, 8, 8}, torch::kFloat64);
  EXPECT_THROW(acc.add(cand, torch::ones({30, 32}, torch::kBool), lr, torch::ones({8, 8}, torch::kBool)),
               std::runtime_error);
}

TEST(RasterEvaluation, SeamAndLrScoresAskedForWithoutTheirInputsAreRefusedFirst) {
  RasterEvalOptions o;
  EXPECT_EQ(metrics_problem(o), "");
  o.metrics = {"psnr", "seam"};
  EXPECT_EQ(metrics_problem(o), "the seam score needs --grid WINDOW,STRIDE");
  o.grid = WindowLayout{128, 96};
  EXPECT_EQ(metrics_problem(o), "");
  o.metrics.push_back("lr");
  EXPECT_EQ(metrics_problem(o), "LR consistency needs --lr LR.tif");
  o.lr_path = "lr.tif";
  EXPECT_EQ(metrics_problem(o), "");
  o.metrics.push_back("sharpness");
  EXPECT_EQ(metrics_problem(o), "unknown metric 'sharpness'");
  // The library refuses them too, before it opens any raster (these do not exist).
  o.metrics = {"lr"};
  o.lr_path.clear();
  try {
    evaluate_rasters("no_reference.tif", {"no_candidate.tif"}, o);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "LR consistency needs --lr LR.tif");
  }
}

}  // namespace
