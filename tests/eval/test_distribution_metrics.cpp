// The weight-free distribution metrics on real NAIP: a blurred candidate (the bicubic baseline of
// a 4x LR) must score clearly worse than other real imagery of the same kind.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "eval_test_data.hpp"
#include "geosr/core/resample/resample.hpp"
#include "geosr/eval/power_spectrum.hpp"
#include "geosr/eval/sliced_wasserstein.hpp"
#include "geosr/eval/windows.hpp"

namespace {

using namespace geosr::eval;

std::vector<torch::Tensor> tiles(const std::string& city_year, int first, int count) {
  std::vector<torch::Tensor> out;
  for (int i = first; i < first + count; ++i) {
    out.push_back(geosr::test::naip_tile(city_year + "_" + std::to_string(i) + ".tif").narrow(0, 0, 3));
  }
  return out;
}

torch::Tensor blurred(const torch::Tensor& hr) {
  return geosr::condition_from_lr(geosr::degrade(hr, 4), hr.size(1), hr.size(2)).clamp(0, 255);
}

struct Scores {
  double swd, spectrum_db;
};

// Reference windows from `refs`, candidate windows from `cands` (128 x 128, non-overlapping).
Scores compare(const std::vector<torch::Tensor>& refs, const std::vector<torch::Tensor>& cands) {
  SlicedWasserstein swd(SwdOptions{});
  PowerSpectrumAccumulator spectrum;
  for (size_t i = 0; i < refs.size(); ++i) {
    for_each_window(refs[i], cands[i], {}, WindowLayout{128, 128}, [&](const auto& r, const auto& c) {
      swd.add_window(r, c);
      spectrum.add_window(r, c);
    });
  }
  EXPECT_EQ(swd.windows(), static_cast<int64_t>(4 * refs.size()));
  return {swd.result().mean, spectrum.result().high_band_distance_db};
}

TEST(DistributionMetrics, BlurRanksClearlyWorseThanOtherRealImagery) {
  const auto reference = tiles("riverside_2018", 0, 8);
  const auto other = tiles("riverside_2018", 8, 8);  // different places, same city and year
  std::vector<torch::Tensor> blur;
  for (const auto& t : reference) blur.push_back(blurred(t));

  const auto self = compare(reference, reference);
  EXPECT_NEAR(self.swd, 0.0, 1e-9);
  EXPECT_NEAR(self.spectrum_db, 0.0, 1e-9);
  const auto real = compare(reference, other);
  const auto soft = compare(reference, blur);
  std::cout << "SWD x1e3: other tiles " << real.swd << ", blurred " << soft.swd << "; high-band spectrum dB: other "
            << real.spectrum_db << ", blurred " << soft.spectrum_db << "\n";
  EXPECT_GT(soft.swd, 2.0 * real.swd);
  EXPECT_GT(soft.spectrum_db, 2.0 * real.spectrum_db);
}

TEST(DistributionMetrics, SeededAndReproducible) {
  const auto reference = tiles("chico_2018", 0, 2);
  const auto candidate = tiles("chico_2020", 0, 2);
  EXPECT_EQ(compare(reference, candidate).swd, compare(reference, candidate).swd);
}

TEST(LaplacianPyramid, HalvingLevelsWithSmallBandPass) {
  const auto image = geosr::test::naip_tile("chico_2018_3.tif").narrow(0, 0, 1).narrow(1, 0, 128).narrow(2, 0, 128);
  const auto pyramid = laplacian_pyramid(image, 4);
  ASSERT_EQ(pyramid.size(), 4u);
  for (int64_t l = 0; l < 4; ++l) EXPECT_EQ(pyramid[l].size(1), 128 >> l);
  EXPECT_LT(pyramid[0].abs().mean().item<double>(), 0.5 * image.std().item<double>());
}

TEST(SlicedWasserstein, ShiftOfOneDimensionalSamples) {
  // In one dimension every unit direction is +-1, so the SWD is the 1-D Wasserstein distance,
  // which for a shifted copy is exactly the shift.
  const auto a = torch::randn({500, 1}, torch::kFloat64);
  EXPECT_NEAR(sliced_wasserstein(a, a + 0.5, 4, 8, 1), 0.5, 1e-12);
}

TEST(WindowStarts, OfficialGrid) {
  EXPECT_EQ(window_starts(524, {299, 75}), (std::vector<int64_t>{0, 75, 150, 225}));
  EXPECT_EQ(window_starts(500, {299, 75}), (std::vector<int64_t>{0, 75, 150, 201}));
  EXPECT_TRUE(window_starts(298, {299, 75}).empty());
}

}  // namespace
