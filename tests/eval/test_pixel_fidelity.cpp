// RMSE, PSNR and SSIM against values SciPy computed (tests/python/eval_reference_values.py) on
// real NAIP tiles, and block-wise accumulation equal to the whole image on a scene with NoData.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "eval_test_data.hpp"
#include "geosr/core/resample/resample.hpp"
#include "geosr/eval/pixel_fidelity.hpp"

namespace {

using geosr::Region;
using namespace geosr::eval;

struct Fidelity {
  BandScores rmse, psnr, ssim;
};

// Accumulates the scene in blocks of block_h x block_w (the whole scene when 0).
Fidelity evaluate(const torch::Tensor& ref, const torch::Tensor& cand, const torch::Tensor& valid, double max_value,
                  int64_t block_h = 0, int64_t block_w = 0) {
  const SceneShape scene{ref.size(1), ref.size(2), ref.size(0)};
  if (block_h == 0) block_h = scene.height;
  if (block_w == 0) block_w = scene.width;
  ErrorAccumulator errors(scene, max_value);
  SsimAccumulator ssim(scene, max_value);
  for (int64_t y = 0; y < scene.height; y += block_h) {
    for (int64_t x = 0; x < scene.width; x += block_w) {
      const Region core{y, x, std::min(scene.height, y + block_h), std::min(scene.width, x + block_w)};
      const auto block = crop_block(ref, cand, valid, core, SsimAccumulator::kHalo);
      errors.add(block);
      ssim.add(block);
    }
  }
  return {errors.rmse(), errors.psnr(), ssim.ssim()};
}

TEST(PixelFidelity, MatchesScipyOnRealTiles) {
  const auto values = geosr::test::reference_values();
  for (const auto& entry : values.get_child("fidelity")) {
    const auto& expected = entry.second;
    const auto ref = geosr::test::naip_tile(expected.get<std::string>("reference"));
    const auto cand = geosr::test::naip_tile(expected.get<std::string>("candidate"));
    const auto got = evaluate(ref, cand, {}, 255.0);
    const auto rmse = geosr::test::json_tensor(expected.get_child("rmse"));
    const auto psnr = geosr::test::json_tensor(expected.get_child("psnr"));
    const auto ssim = geosr::test::json_tensor(expected.get_child("ssim"));
    ASSERT_EQ(got.ssim.per_band.size(), 4u);
    for (int64_t b = 0; b < 4; ++b) {
      EXPECT_NEAR(got.rmse.per_band[b], rmse[b].item<double>(), 1e-9);
      EXPECT_NEAR(got.psnr.per_band[b], psnr[b].item<double>(), 1e-9);
      EXPECT_NEAR(got.ssim.per_band[b], ssim[b].item<double>(), 1e-9);
    }
    EXPECT_NEAR(got.rmse.overall, expected.get<double>("rmse_overall"), 1e-9);
    EXPECT_NEAR(got.psnr.overall, expected.get<double>("psnr_overall"), 1e-9);
    EXPECT_NEAR(got.ssim.overall, expected.get<double>("ssim_overall"), 1e-9);
  }
}

TEST(PixelFidelity, IdenticalRastersArePerfect) {
  const auto ref = geosr::test::naip_tile("chico_2018_1.tif");
  const auto got = evaluate(ref, ref, {}, 255.0);
  EXPECT_EQ(got.rmse.overall, 0.0);
  EXPECT_EQ(got.psnr.overall, std::numeric_limits<double>::infinity());
  EXPECT_NEAR(got.ssim.overall, 1.0, 1e-12);
}

TEST(PixelFidelity, StreamingEqualsWholeSceneWithNoData) {
  // A real scene; the candidate is the bicubic baseline made from its 4x LR. The scene has no
  // NoData of its own, so a hole and scattered pixels are masked out.
  const auto ref = geosr::test::read_raster(geosr::test::shared_data() / "scenes" / "naip_5m_nd_20200831.tif")
                       .narrow(1, 0, 300)
                       .narrow(2, 0, 420);
  const auto cand = geosr::condition_from_lr(geosr::degrade(ref, 4), 300, 420).round().clamp(0, 255);
  auto valid = torch::ones({300, 420}, torch::kBool);
  valid.narrow(0, 40, 30).narrow(1, 200, 90).fill_(false);
  valid.narrow(0, 250, 1).narrow(1, 10, 1).fill_(false);
  valid.narrow(0, 3, 1).narrow(1, 400, 1).fill_(false);
  const auto whole = evaluate(ref, cand, valid, 255.0);
  for (auto [bh, bw] : std::vector<std::pair<int64_t, int64_t>>{{97, 131}, {1, 420}, {300, 7}, {64, 64}}) {
    const auto blocks = evaluate(ref, cand, valid, 255.0, bh, bw);
    for (size_t b = 0; b < 4; ++b) {
      EXPECT_NEAR(blocks.rmse.per_band[b], whole.rmse.per_band[b], 1e-9 * whole.rmse.per_band[b]);
      EXPECT_NEAR(blocks.ssim.per_band[b], whole.ssim.per_band[b], 1e-9);
    }
    EXPECT_NEAR(blocks.psnr.overall, whole.psnr.overall, 1e-9);
  }
  // NoData is excluded, not scored: the same pixels with garbage under the mask change nothing.
  const auto garbage = torch::where(valid.unsqueeze(0), cand, torch::full_like(cand, 255.0));
  const auto masked = evaluate(ref, garbage, valid, 255.0, 97, 131);
  EXPECT_NEAR(masked.rmse.overall, whole.rmse.overall, 1e-9);
  EXPECT_NEAR(masked.ssim.overall, whole.ssim.overall, 1e-9);
}

TEST(PixelFidelity, BlockWithoutHaloIsRefused) {
  const auto ref = geosr::test::naip_tile("chico_2018_1.tif");
  const SceneShape scene{256, 256, 4};
  SsimAccumulator ssim(scene, 255.0);
  const auto block = crop_block(ref, ref, {}, Region{100, 100, 150, 150}, 2);
  EXPECT_THROW(ssim.add(block), std::runtime_error);
}

TEST(PixelFidelity, DataTypeMaximum) {
  EXPECT_EQ(data_type_max("Byte"), 255.0);
  EXPECT_EQ(data_type_max("UInt16"), 65535.0);
  EXPECT_EQ(data_type_max("Float32"), 1.0);
}

}  // namespace
