// geosr eval end to end on a real scene: HR crop -> geosr degrade -> geosr sr (bicubic), then the
// table, JSON and CSV for the bicubic baseline and for the HR itself; mismatched grids refused.
#include <gtest/gtest.h>

#include <cpl_json.h>

#include <fstream>

#include "gdal_fixtures.hpp"

namespace {

namespace t = geosr::test;

t::CommandResult geosr_run(const std::string& args) { return t::run_command(std::string(GEOSR_BINARY) + " " + args); }

struct Scene {
  std::filesystem::path dir, hr, lr, sr;
};

const Scene& scene() {
  static const Scene s = [] {
    Scene s;
    // One directory per test: ctest runs the tests of this file as parallel processes.
    s.dir = t::scratch(std::string("eval_scene_") +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    s.hr = s.dir / "hr.tif";
    s.lr = s.dir / "lr.tif";
    s.sr = s.dir / "sr.tif";
    // 640 x 600 divides by 4, so the LR grid is exactly the HR grid coarsened 4 times.
    auto r = t::run_command("gdal_translate -q -srcwin 100 50 640 600 " +
                            t::quote(t::shared_data() / "scenes" / "naip_5m_nd_20200831.tif") + " " + t::quote(s.hr));
    if (r.exit_code != 0) throw std::runtime_error(r.output);
    r = geosr_run("degrade -q --scale 4 " + t::quote(s.hr) + " " + t::quote(s.lr));
    if (r.exit_code != 0) throw std::runtime_error(r.output);
    r = geosr_run("sr -q --method bicubic --scale 4 " + t::quote(s.lr) + " " + t::quote(s.sr));
    if (r.exit_code != 0) throw std::runtime_error(r.output);
    return s;
  }();
  return s;
}

TEST(CliEval, TableJsonCsvForBicubicAndHr) {
  const auto& s = scene();
  const auto json = s.dir / "out.json", csv = s.dir / "out.csv";
  const auto r = geosr_run("eval --reference " + t::quote(s.hr) + " --candidate " + t::quote(s.sr) + " --candidate " +
                           t::quote(s.hr) + " --lr " + t::quote(s.lr) + " --grid 128,96 --json " + t::quote(json) +
                           " --csv " + t::quote(csv));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::cout << r.output;
  EXPECT_NE(r.output.find("PSNR dB"), std::string::npos);
  EXPECT_NE(r.output.find("LR MAE"), std::string::npos);

  CPLJSONDocument doc;
  ASSERT_TRUE(doc.Load(json.string()));
  const auto candidates = doc.GetRoot().GetArray("candidates");
  ASSERT_EQ(candidates.Size(), 2);
  const auto bicubic = candidates[0], hr = candidates[1];
  EXPECT_EQ(doc.GetRoot().GetLong("lr_scale"), 4);
  EXPECT_GT(bicubic.GetDouble("rmse"), 1.0);
  EXPECT_LT(bicubic.GetDouble("ssim"), 0.95);
  EXPECT_GT(bicubic.GetDouble("swd"), hr.GetDouble("swd"));
  EXPECT_GT(bicubic.GetDouble("spectrum_db"), 1.0);
  EXPECT_EQ(bicubic.GetArray("psnr_per_band").Size(), 4);
  EXPECT_EQ(hr.GetDouble("rmse"), 0.0);
  // An identical candidate's PSNR is infinite, which JSON cannot say: null, in the bands too.
  EXPECT_EQ(hr.GetObj("psnr").GetType(), CPLJSONObject::Type::Null);
  ASSERT_EQ(hr.GetArray("psnr_per_band").Size(), 4);
  EXPECT_EQ(hr.GetArray("psnr_per_band")[0].GetType(), CPLJSONObject::Type::Null);
  std::ifstream raw(json);
  const std::string text((std::istreambuf_iterator<char>(raw)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("Infinity"), std::string::npos);
  EXPECT_EQ(text.find("NaN"), std::string::npos);
  EXPECT_NEAR(hr.GetDouble("ssim"), 1.0, 1e-12);
  EXPECT_EQ(hr.GetDouble("swd"), 0.0);
  // The LR is the HR's area mean rounded to Byte: within half a grey level of the HR.
  EXPECT_LE(hr.GetDouble("lr_mae"), 0.5);
  EXPECT_GT(bicubic.GetDouble("lr_mae"), hr.GetDouble("lr_mae"));
  EXPECT_NEAR(hr.GetDouble("seam"), doc.GetRoot().GetDouble("reference_seam"), 1e-12);

  std::ifstream in(csv);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("candidate,rmse,psnr,ssim,swd,spectrum_db,seam,lr_mae", 0), 0u) << header;
  int rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, 2);
}

TEST(CliEval, RefusesOtherGridsAndBadOptions) {
  const auto& s = scene();
  auto r = geosr_run("eval -q --reference " + t::quote(s.hr) + " --candidate " + t::quote(s.lr));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("is not on the grid of"), std::string::npos) << r.output;
  r = geosr_run("eval --reference " + t::quote(s.hr));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  // A stride above the window, numbers with something after them (std::stoll took "128x" as 128),
  // and empty items (once dropped, so "128,,96" was read as 128,96).
  for (const std::string grid : {"96,128", "128x,96", "128,96.5", "128,,96", "128,96,"}) {
    r = geosr_run("eval --reference " + t::quote(s.hr) + " --candidate " + t::quote(s.sr) + " --grid " + grid);
    EXPECT_EQ(r.exit_code, 2) << grid << ": " << r.output;
  }
  // -b is no abbreviation of --batch, PSNR needs a positive MAX, a feature batch at least one image.
  for (const std::string& option : {"-b 1,2,3", "--max-value 0", "--max-value -5", "--seed -1", "--metrics psnr,,ssim",
                                    "--batch 0", "--batch -1", "--device cuda:abc"}) {
    r = geosr_run("eval --metrics psnr --reference " + t::quote(s.hr) + " --candidate " + t::quote(s.sr) + " " + option);
    EXPECT_EQ(r.exit_code, 2) << option << ": " << r.output;
  }
  r = geosr_run("eval --reference " + t::quote(s.hr) + " --candidate " + t::quote(s.sr) + " --metrics fid --inception " +
                t::quote(s.dir / "missing.pt"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("inception-2015-12-05.pt"), std::string::npos) << r.output;
  // An LR "input" of the reference's own size would score the plain error under the name of LR consistency.
  r = geosr_run("eval -q --metrics lr --reference " + t::quote(s.hr) + " --candidate " + t::quote(s.sr) + " --lr " +
                t::quote(s.hr));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("is the reference's own size (640 x 600), not an LR input"), std::string::npos) << r.output;
  // Metrics named without the input they need are usage errors, said once.
  for (const auto& [metric, expected] : std::vector<std::pair<std::string, std::string>>{
           {"lr", "geosr eval: error: LR consistency needs --lr LR.tif"},
           {"seam", "geosr eval: error: the seam score needs --grid WINDOW,STRIDE"}}) {
    r = geosr_run("eval --metrics " + metric + " --reference " + t::quote(s.hr) + " --candidate " + t::quote(s.lr));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(r.output, expected + "\n");
  }
}

TEST(CliEval, ResultsNeverReplaceTheRastersTheyScore) {
  const auto& s = scene();
  const std::string hr_bytes = t::file_bytes(s.hr), sr_bytes = t::file_bytes(s.sr);
  const std::string scored = "eval -q --reference " + t::quote(s.hr) + " --candidate " + t::quote(s.sr) + " --lr " +
                             t::quote(s.lr) + " --metrics psnr ";
  for (const std::string& result : {"--json " + t::quote(s.sr), "--csv " + t::quote(s.hr), "--json " + t::quote(s.lr),
                                    "--csv " + t::quote(s.dir / "." / "sr.tif")}) {
    const auto r = geosr_run(scored + result);
    EXPECT_EQ(r.exit_code, 2) << result << ": " << r.output;
    EXPECT_NE(r.output.find("geosr never writes over its input"), std::string::npos) << r.output;
  }
  EXPECT_EQ(t::file_bytes(s.hr), hr_bytes);
  EXPECT_EQ(t::file_bytes(s.sr), sr_bytes);
  // A write that fails is an error; a link such as /dev/stdout is written through.
  const auto full = geosr_run(scored + "--csv /dev/full");
  EXPECT_EQ(full.exit_code, 1) << full.output;
  EXPECT_NE(full.output.find("cannot write /dev/full"), std::string::npos) << full.output;
  const auto out = t::run_command(std::string(GEOSR_BINARY) + " " + scored + "--csv /dev/stdout 2>&1 | cat");
  EXPECT_NE(out.output.find("candidate,psnr\n"), std::string::npos) << out.output;
}

TEST(CliEval, RastersTooSmallForDistributionWindowsLeaveThemOut) {
  const auto& s = scene();
  const auto hr = s.dir / "hr100.tif", sr = s.dir / "sr100.tif";
  for (const auto& [from, to] : {std::pair{s.hr, hr}, std::pair{s.sr, sr}})
    ASSERT_EQ(t::run_command("gdal_translate -q -srcwin 0 0 100 100 " + t::quote(from) + " " + t::quote(to)).exit_code, 0);
  const auto json = s.dir / "small.json";
  // The grid sr records for a small output has one window and no boundary: the seam score is left out too.
  const auto r = geosr_run("eval -q --reference " + t::quote(hr) + " --candidate " + t::quote(sr) + " --json " +
                           t::quote(json) + " --grid 128,96");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: the seam score left out: the 100 x 100 rasters fit in one 128-pixel window"),
            std::string::npos) << r.output;
  EXPECT_NE(r.output.find("warning: SWD and the spectrum left out: the rasters (100 x 100) are smaller than their "
                          "128-pixel windows"), std::string::npos) << r.output;
  CPLJSONDocument doc;
  ASSERT_TRUE(doc.Load(json.string()));
  const auto candidate = doc.GetRoot().GetArray("candidates")[0];
  EXPECT_GT(candidate.GetDouble("psnr"), 10.0);
  EXPECT_FALSE(candidate.GetObj("swd").IsValid());
  EXPECT_FALSE(candidate.GetObj("seam").IsValid());
  // MAX is printed whole (the table's 4 digits of precision had made 65535 "6.554e+04").
  const auto wide = geosr_run("eval --metrics psnr --max-value 65535 --reference " + t::quote(hr) + " --candidate " +
                              t::quote(sr));
  EXPECT_NE(wide.output.find("(MAX 65535)"), std::string::npos) << wide.output;
  const auto named = geosr_run("eval -q --metrics swd --reference " + t::quote(hr) + " --candidate " + t::quote(sr));
  EXPECT_EQ(named.exit_code, 1) << named.output;
  EXPECT_NE(named.output.find("SWD and the spectrum need 128 x 128 windows; the rasters are 100 x 100"),
            std::string::npos) << named.output;
}

}  // namespace
