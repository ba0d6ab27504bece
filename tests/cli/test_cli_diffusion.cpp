// geosr sr --method diffusion with the bundled model on a real LR sample: a georeferenced COG on the
// HR grid with the processing metadata, the same bytes for the same seed whatever the batch size,
// different samples for different seeds, and a dry run that computes nothing.
#include <gtest/gtest.h>

#include <cmath>

#include "gdal_fixtures.hpp"

namespace {

namespace t = geosr::test;

t::CommandResult geosr_run(const std::string& args) { return t::run_command(std::string(GEOSR_BINARY) + " " + args); }

// 2 steps and small windows: the network's quality is not under test here, the job is.
const std::string kFast = "sr -q --method diffusion --steps 2 --window 32 --stride 24 ";

class CliDiffusion : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = t::scratch(::testing::UnitTest::GetInstance()->current_test_info()->name());
    lr = t::samples() / "naip_riverside_2018_0_lr5.tif";
  }
  std::filesystem::path dir, lr;
};

TEST_F(CliDiffusion, WritesAGeoreferencedCogOnTheHrGrid) {
  const std::string before = t::file_bytes(lr);
  const auto r = geosr_run(kFast + t::quote(lr) + " " + t::quote(dir / "sr.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(t::file_bytes(lr), before);
  EXPECT_EQ(t::cog_problems(dir / "sr.tif"), "");

  auto in = t::open_raster(lr);
  auto out = t::open_raster(dir / "sr.tif");
  // The model takes RGB: without -b the first three of the four NAIP bands are used.
  EXPECT_EQ(out->GetRasterCount(), 3);
  EXPECT_EQ(out->GetRasterXSize(), in->GetRasterXSize() * 5);
  EXPECT_EQ(out->GetRasterYSize(), in->GetRasterYSize() * 5);
  double gi[6], go[6];
  ASSERT_EQ(in->GetGeoTransform(gi), CE_None);
  ASSERT_EQ(out->GetGeoTransform(go), CE_None);
  EXPECT_DOUBLE_EQ(go[0], gi[0]);
  EXPECT_DOUBLE_EQ(go[3], gi[3]);
  EXPECT_NEAR(go[1], gi[1] / 5, 1e-12);
  EXPECT_NEAR(go[5], gi[5] / 5, 1e-12);
  EXPECT_STREQ(out->GetMetadataItem("GEOSR_METHOD"), "diffusion");
  EXPECT_STREQ(out->GetMetadataItem("GEOSR_STEPS"), "2");
  EXPECT_STREQ(out->GetMetadataItem("GEOSR_FUSION"), "sdvc");
  EXPECT_STREQ(out->GetMetadataItem("GEOSR_GRID"), "32,24");
  // A sample, not a constant: the values spread over the byte range.
  const auto values = t::read_all(out.get());
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  EXPECT_GT(*hi - *lo, 50.0);

  // geosr eval finds the window grid in the candidate's metadata for the seam score.
  const auto e = geosr_run("eval -q --reference " + t::quote(dir / "sr.tif") + " --candidate " + t::quote(dir / "sr.tif") +
                           " --json " + t::quote(dir / "eval.json"));
  ASSERT_EQ(e.exit_code, 0) << e.output;
  EXPECT_NE(t::file_bytes(dir / "eval.json").find("\"reference_seam\""), std::string::npos);
}

TEST_F(CliDiffusion, SameSeedSameBytesAcrossBatchSizesOtherSeedOtherSample) {
  const auto run = [&](const std::string& options, const std::string& name) {
    const auto r = geosr_run(kFast + options + " " + t::quote(lr) + " " + t::quote(dir / name));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return t::read_all(t::open_raster(dir / name).get());
  };
  const auto a = run("--seed 7 --batch 8", "a.tif");
  const auto b = run("--seed 7 --batch 3", "b.tif");
  const auto c = run("--seed 8 --batch 8", "c.tif");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

// The bundled model drifts in colour (its card: 16.7 grey levels between its output shrunk back
// to 3 m and the LR); held to the LR's low frequencies at every step it keeps the LR's colours.
TEST_F(CliDiffusion, LrConsistencyKeepsTheLrsColours) {
  const auto lr_error = [&](const std::string& options, const std::string& name) {
    const auto sr = dir / (name + ".tif"), back = dir / (name + "_lr.tif");
    const auto r = geosr_run("sr -q --steps 10 " + options + " " + t::quote(lr) + " " + t::quote(sr));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const auto d = geosr_run("degrade -q --scale 5 " + t::quote(sr) + " " + t::quote(back));
    EXPECT_EQ(d.exit_code, 0) << d.output;
    EXPECT_EQ(t::open_raster(sr)->GetMetadataItem("GEOSR_LR_CONSISTENCY"),
              std::string(options.empty() ? "0.25" : options.substr(options.rfind(' ') + 1)));
    const auto shrunk = t::read_all(t::open_raster(back).get()), observed = t::read_all(t::open_raster(lr).get());
    double sum = 0.0;  // over the three bands the model takes, the first of the LR's four
    for (size_t i = 0; i < shrunk.size(); ++i) sum += std::abs(shrunk[i] - observed[i]);
    return sum / static_cast<double>(shrunk.size());
  };
  const double off = lr_error("--lr-consistency 0", "off"), held = lr_error("", "held");
  EXPECT_GT(off, 8.0);
  EXPECT_LT(held, off / 3.0);
  EXPECT_LT(held, 4.0);
}

TEST_F(CliDiffusion, DryRunReportsTheWorkAndWritesNothing) {
  const auto r = geosr_run("sr --method diffusion --dry-run --steps 10 --window 32 --stride 24 " + t::quote(lr) + " " +
                           t::quote(dir / "sr.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // 255 px with windows of 32 at stride 24: origins 0, 24, ..., 216 and the flush 223 -> 11 per axis.
  EXPECT_NE(r.output.find("windows per step:    121"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("network evaluations: 1210"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("warning"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "sr.tif"));
  // Reduced precision is CUDA's autocast: on the CPU the job says it runs fp32.
  const auto bf16 = geosr_run("sr --dry-run --precision bf16 --steps 10 --window 32 --stride 24 " + t::quote(lr) + " " +
                              t::quote(dir / "sr.tif"));
  ASSERT_EQ(bf16.exit_code, 0) << bf16.output;
  EXPECT_NE(bf16.output.find("warning: --precision bf16 applies on CUDA only"), std::string::npos) << bf16.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "sr.tif"));
}

TEST_F(CliDiffusion, AValueRuleTheModelCannotUseIsWarnedAbout) {
  const auto plan = [&](const std::string& options, const std::filesystem::path& src) {
    return geosr_run("sr --dry-run " + options + " " + t::quote(src) + " " + t::quote(dir / "sr.tif")).output;
  };
  // NAIP bytes fill their range: nothing to say.
  EXPECT_EQ(plan("", lr).find("warning"), std::string::npos) << plan("", lr);
  // SpaceNet's Float64 reflectances under a float band's 0..1: white.
  const auto floats = t::shared_data() / "odd" / "spacenet_ms_float64_1m.tif";
  const auto white = plan("", floats);
  EXPECT_NE(white.find("geosr sr: warning: 100 % of the values ("), std::string::npos) << white;
  EXPECT_NE(white.find(", sampled) lie outside the value range 0..1, far from any scene the model learnt; give "
                       "--in-range LO,HI"),
            std::string::npos)
      << white;
  EXPECT_EQ(plan("--in-range 0,2047", floats).find("warning"), std::string::npos);
  // Panchromatic 11-bit counts under UInt16's 0..65535: a flat, dark field.
  const auto pan = t::shared_data() / "odd" / "spacenet_pan_uint16_0p5m.tif";
  const auto flat = plan("-b 1,1,1", pan);
  EXPECT_NE(flat.find("% of the value range 0..65535: the model sees a flat scene"), std::string::npos) << flat;
  EXPECT_EQ(plan("-b 1,1,1 --in-range 0,2047", pan).find("warning"), std::string::npos);
  // geosr vrt, which computes on read, says it at once too.
  const auto vrt = geosr_run("vrt " + t::quote(floats) + " " + t::quote(dir / "sr.vrt"));
  EXPECT_NE(vrt.output.find("geosr vrt: warning: 100 % of the values"), std::string::npos) << vrt.output;
}

TEST_F(CliDiffusion, RefusesAModelOfOtherBandsOrScale) {
  const auto bands = geosr_run(kFast + "-b 1 " + t::quote(lr) + " " + t::quote(dir / "sr.tif"));
  EXPECT_EQ(bands.exit_code, 2) << bands.output;
  EXPECT_NE(bands.output.find("takes 3 bands"), std::string::npos) << bands.output;
  const auto scale = geosr_run(kFast + "--scale 4 " + t::quote(lr) + " " + t::quote(dir / "sr.tif"));
  EXPECT_EQ(scale.exit_code, 2) << scale.output;
  EXPECT_NE(scale.output.find("trained for 5x"), std::string::npos) << scale.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "sr.tif"));
}

}  // namespace
