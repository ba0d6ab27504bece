// `geosr sr --split-rows K`: independent row bands blended over their shared rows. With a halo that
// reaches every window each band is the joint run, so the blend gives its pixels back; with the
// default halo of one row of windows it stays close to them; bands computed as separate jobs
// (--split-part) are picked up by the final run instead of being computed again.
#include <gtest/gtest.h>

#include <cmath>

#include "gdal_fixtures.hpp"

namespace {

namespace t = geosr::test;
namespace fs = std::filesystem;

const std::string kGeosr = GEOSR_BINARY;

// Largest absolute difference and PSNR (8-bit peak) between two rasters of the same shape.
std::pair<double, double> difference(const fs::path& a, const fs::path& b) {
  auto da = t::open_raster(a), db = t::open_raster(b);
  const auto va = t::read_all(da.get()), vb = t::read_all(db.get());
  EXPECT_EQ(va.size(), vb.size());
  double most = 0.0, squares = 0.0;
  for (size_t i = 0; i < va.size(); ++i) {
    most = std::max(most, std::abs(va[i] - vb[i]));
    squares += (va[i] - vb[i]) * (va[i] - vb[i]);
  }
  const double mse = squares / static_cast<double>(va.size());
  return {most, mse > 0 ? 10.0 * std::log10(255.0 * 255.0 / mse) : INFINITY};
}

class CliSplitRows : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = t::scratch(::testing::UnitTest::GetInstance()->current_test_info()->name());
    lr = t::samples() / "naip_riverside_2018_0_lr5.tif";
  }
  t::CommandResult sr(const std::string& options, const fs::path& out) const {
    return t::run_command(kGeosr + " sr -q --window 32 --stride 24 --steps 8 --seed 2 " + options + " " + t::quote(lr) +
                          " " + t::quote(out));
  }
  fs::path dir, lr;
};

TEST_F(CliSplitRows, BandsApproachTheJointRunAndReusePartsComputedApart) {
  ASSERT_EQ(sr("", dir / "joint.tif").exit_code, 0);
  const auto whole_halo = sr("--split-rows 3 --split-halo 20", dir / "exact.tif");
  ASSERT_EQ(whole_halo.exit_code, 0) << whole_halo.output;
  EXPECT_LE(difference(dir / "joint.tif", dir / "exact.tif").first, 1.0) << "every band is the joint run";

  ASSERT_EQ(sr("--split-rows 3", dir / "split.tif").exit_code, 0);
  const auto [most, psnr] = difference(dir / "joint.tif", dir / "split.tif");
  EXPECT_GT(most, 0.0) << "a halo of one row of windows is not the joint run";
  EXPECT_GT(psnr, 35.0);
  EXPECT_EQ(t::cog_problems(dir / "split.tif"), "");

  // Band 2 as its own job, then the final run: it must reuse the band and give the same bytes.
  const auto part = sr("--split-rows 3 --split-part 2", dir / "parts.tif");
  ASSERT_EQ(part.exit_code, 0) << part.output;
  ASSERT_TRUE(fs::exists(dir / "parts.tif.part2of3"));
  EXPECT_FALSE(fs::exists(dir / "parts.tif"));
  ASSERT_EQ(sr("--split-rows 3", dir / "parts.tif").exit_code, 0);
  EXPECT_EQ(t::file_bytes(dir / "parts.tif"), t::file_bytes(dir / "split.tif"));
  EXPECT_EQ(t::other_files(dir, {"joint.tif", "exact.tif", "split.tif", "parts.tif"}), std::vector<std::string>{})
      << "band files are removed once the output is written";

  const auto beyond = sr("--split-rows 3 --split-part 4", dir / "x.tif");
  EXPECT_EQ(beyond.exit_code, 2) << beyond.output;
  EXPECT_NE(beyond.output.find("splits into 3 bands"), std::string::npos) << beyond.output;
}

}  // namespace
