// geosr degrade then geosr sr --method bicubic on real scenes: georeferencing exact, valid COGs,
// metadata and NoData carried; and the inputs that must be processed with a warning.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "gdal_fixtures.hpp"

namespace {

namespace t = geosr::test;

t::CommandResult geosr_run(const std::string& args) { return t::run_command(std::string(GEOSR_BINARY) + " " + args); }

std::array<double, 6> geotransform(const std::filesystem::path& path) {
  auto ds = t::open_raster(path);
  std::array<double, 6> gt{};
  EXPECT_EQ(ds->GetGeoTransform(gt.data()), CE_None) << path;
  return gt;
}

// Corners of the raster in georeferenced units: (x0, y0, x1, y1).
std::array<double, 4> extent(const std::filesystem::path& path) {
  auto ds = t::open_raster(path);
  const auto gt = geotransform(path);
  const double w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
  return {gt[0], gt[3], gt[0] + w * gt[1] + h * gt[2], gt[3] + w * gt[4] + h * gt[5]};
}

TEST(CliRoundTrip, NaipSceneDegradeThenBicubicKeepsTheExtent) {
  const auto dir = t::scratch("naip_scene");
  const auto hr = t::shared_data() / "scenes" / "naip_5m_nd_20200831.tif";
  const std::string before = t::file_bytes(hr);
  auto r = geosr_run("degrade -q --scale 5 " + t::quote(hr) + " " + t::quote(dir / "lr.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = geosr_run("sr -q --method bicubic --scale 5 " + t::quote(dir / "lr.tif") + " " + t::quote(dir / "sr.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // -tr as GDAL's utilities spell it.
  r = geosr_run("sr -q --method bicubic -tr 5 5 " + t::quote(dir / "lr.tif") + " " + t::quote(dir / "sr_tr.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(t::file_bytes(hr), before);

  const double pixel = 5.0;
  const auto want = extent(hr);
  for (const char* name : {"lr.tif", "sr.tif", "sr_tr.tif"}) {
    EXPECT_EQ(t::cog_problems(dir / name), "") << name;
    const auto got = extent(dir / name);
    for (int i = 0; i < 4; ++i) EXPECT_LE(std::abs(got[i] - want[i]), 1e-6 * pixel) << name << " corner term " << i;
    auto ds = t::open_raster(dir / name);
    auto in = t::open_raster(hr);
    EXPECT_TRUE(ds->GetSpatialRef() && ds->GetSpatialRef()->IsSame(in->GetSpatialRef())) << name;
    int has = 0;
    EXPECT_EQ(ds->GetRasterBand(1)->GetNoDataValue(&has), 0.0);
    EXPECT_TRUE(has) << name;
    EXPECT_EQ(ds->GetRasterCount(), 4);
  }
  auto lr = t::open_raster(dir / "lr.tif");
  EXPECT_EQ(lr->GetRasterXSize(), 187);  // 934 / 5 rounded
  EXPECT_EQ(lr->GetRasterYSize(), 145);
  EXPECT_STREQ(lr->GetMetadataItem("GEOSR_METHOD"), "area");
  // --tr lands exactly on the input grid: same size, same pixel size.
  auto sr_tr = t::open_raster(dir / "sr_tr.tif");
  EXPECT_EQ(sr_tr->GetRasterXSize(), 934);
  EXPECT_EQ(sr_tr->GetRasterYSize(), 723);
  const auto gt = geotransform(dir / "sr_tr.tif");
  EXPECT_NEAR(gt[1], 5.0, 1e-9);
  EXPECT_NEAR(gt[5], -5.0, 1e-9);
  auto sr = t::open_raster(dir / "sr.tif");
  EXPECT_STREQ(sr->GetMetadataItem("GEOSR_METHOD"), "bicubic");
  EXPECT_STREQ(sr->GetMetadataItem("GEOSR_SCALE"), "5");
  for (const char* key : {"GEOSR_MODEL", "GEOSR_STEPS", "GEOSR_SEED", "GEOSR_VERSION"}) {
    EXPECT_NE(sr->GetMetadataItem(key), nullptr) << key;
  }
  // Validity follows the input's (NoData 0) up to the pixels at the edges of invalid areas.
  const auto values = t::read_all(sr_tr.get());
  const auto original = t::read_all(t::open_raster(hr).get());
  size_t agree = 0;
  for (size_t i = 0; i < 934 * 723; ++i) {
    agree += (values[i] == 0.0) == (original[i] == 0.0);
  }
  EXPECT_GT(static_cast<double>(agree) / (934 * 723), 0.99);
}

TEST(CliRoundTrip, BicubicNextToNoDataStaysInTheDataRange) {
  // Dark Landsat data (3..15 in band 1) beside NoData 0: the mid-grey the NoData used to enter the
  // cubic taps as pulled the data at the edge up to 59.
  const auto dir = t::scratch("nodata_edge");
  ASSERT_EQ(t::run_command("gdal_translate -q -srcwin 150 10 24 24 " +
                           t::quote(t::shared_data() / "odd" / "landsat7_rgb_300m.tif") + " " + t::quote(dir / "lr.tif"))
                .exit_code, 0);
  const auto r = geosr_run("sr -q --method bicubic --scale 4 " + t::quote(dir / "lr.tif") + " " + t::quote(dir / "sr.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto lr = t::open_raster(dir / "lr.tif"), sr = t::open_raster(dir / "sr.tif");
  std::vector<float> in(24 * 24), out(96 * 96);
  ASSERT_EQ(lr->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, 24, 24, in.data(), 24, 24, GDT_Float32, 0, 0), CE_None);
  ASSERT_EQ(sr->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, 96, 96, out.data(), 96, 96, GDT_Float32, 0, 0), CE_None);
  float lo = 255, hi = 0;
  size_t nodata_in = 0, nodata_out = 0;
  for (float v : in) {
    if (v == 0) ++nodata_in;
    else lo = std::min(lo, v), hi = std::max(hi, v);
  }
  ASSERT_GT(nodata_in, 50u) << "the crop straddles the scene's NoData";
  float out_hi = 0;
  for (float v : out) {
    if (v == 0) ++nodata_out;
    else out_hi = std::max(out_hi, v);
  }
  EXPECT_EQ(nodata_out, nodata_in * 16) << "each NoData LR pixel is 4 x 4 NoData pixels";
  // Cubic overshoot at the data's own edges is allowed, a pull towards mid-grey is not.
  EXPECT_LE(out_hi, hi + 0.25f * (hi - lo)) << "data " << lo << ".." << hi;
}

TEST(CliRoundTrip, BundledSampleAndBandSelectionAndProgress) {
  const auto dir = t::scratch("bundled");
  const auto hr = t::samples() / "naip_riverside_2018_0.tif";
  auto r = geosr_run("sr --method bicubic --scale 3 -b 3 -b 1,2 " + t::quote(hr) + " " + t::quote(dir / "sr.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("100 - done."), std::string::npos) << r.output;
  auto ds = t::open_raster(dir / "sr.tif");
  EXPECT_EQ(ds->GetRasterCount(), 3);
  EXPECT_EQ(ds->GetRasterXSize(), 768);
  EXPECT_EQ(ds->GetRasterBand(1)->GetColorInterpretation(), GCI_BlueBand);
  EXPECT_EQ(t::cog_problems(dir / "sr.tif"), "");
  const auto info = geosr_run("info " + t::quote(hr));
  EXPECT_EQ(info.exit_code, 0);
  for (const char* word : {"256 x 256", "Byte", "NAD83", "bicubic", "Block",
                           "diffusion with the default model (3 bands, 5x) gives 1280 x 1280 pixels",
                           "degrade: --scale 5 (area) gives 51 x 51 pixels"}) {
    EXPECT_NE(info.output.find(word), std::string::npos) << word << "\n" << info.output;
  }
  // What degrade would refuse is not described as an output.
  ASSERT_EQ(t::run_command("gdal_translate -q -srcwin 0 0 3 3 " + t::quote(hr) + " " + t::quote(dir / "tiny.tif")).exit_code, 0);
  const auto tiny = geosr_run("info " + t::quote(dir / "tiny.tif"));
  EXPECT_NE(tiny.output.find("degrade: the raster is smaller than the default --scale 5"), std::string::npos)
      << tiny.output;
}

TEST(CliRoundTrip, OutputFormatFromTheOptionOrTheName) {
  const auto dir = t::scratch("formats");
  const auto hr = t::samples() / "naip_riverside_2018_0.tif";
  const std::string bicubic = "sr --method bicubic --scale 2 -b 1,2,3 " + t::quote(hr) + " ";
  auto r = geosr_run(bicubic + "--quiet " + t::quote(dir / "sr.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "") << "--quiet";
  // GDAL's spellings: -of, -quiet.
  r = geosr_run(bicubic + "-quiet -of GTiff -co COMPRESS=LZW " + t::quote(dir / "plain.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto plain = t::open_raster(dir / "plain.tif");
  EXPECT_EQ(plain->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"), nullptr);
  EXPECT_STREQ(plain->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE"), "LZW");
  r = geosr_run(bicubic + "-q " + t::quote(dir / "sr.png"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto png = t::open_raster(dir / "sr.png");
  EXPECT_STREQ(png->GetDriver()->GetDescription(), "PNG");
  EXPECT_STREQ(png->GetMetadataItem("GEOSR_METHOD"), "bicubic");
  const auto cog_pixels = t::read_all(t::open_raster(dir / "sr.tif").get());
  EXPECT_EQ(t::read_all(png.get()), cog_pixels);
  EXPECT_EQ(t::read_all(plain.get()), cog_pixels);
  // netCDF writes through its own library, which cannot write GDAL's in-memory files where the
  // output is tried first: it is tried on disk then, not refused. A band of a Landsat scene (no
  // mask, which netCDF could not hold).
  const std::string landsat = t::quote(t::shared_data() / "odd" / "landsat7_6band_28m.tif");
  r = geosr_run("sr -q --method bicubic --scale 2 -b 4 " + landsat + " " + t::quote(dir / "sr.nc"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = geosr_run("sr -q --method bicubic --scale 2 -b 4 " + landsat + " " + t::quote(dir / "band4.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(t::read_all(t::open_raster(dir / "sr.nc").get()), t::read_all(t::open_raster(dir / "band4.tif").get()));
  // The naip tile's bands 1-3 leave its alpha-tagged band 4 as their mask, which the netCDF file
  // would read back without: refused before the work, and nothing crashes on the way.
  r = geosr_run(bicubic + "-q -of netCDF " + t::quote(dir / "masked.nc"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("cannot store the mask"), std::string::npos) << r.output;
  const auto dry = geosr_run(bicubic + "-q --dry-run " + t::quote(dir / "sr.jpg"));
  EXPECT_NE(dry.output.find("Byte JPEG"), std::string::npos) << dry.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "sr.jpg"));
}

TEST(CliRoundTrip, NaNIsInvalidWithoutANoDataValue) {
  // Float32, no NoData value, no mask: a block of NaN must come out invalid, not as made-up data.
  const auto dir = t::scratch("nan_block");
  t::RasterRecipe recipe;
  recipe.bands = 3;
  recipe.value = [](int b, int r, int c) {
    return r >= 10 && r < 30 && c >= 20 && c < 40 ? std::nan("") : 0.2 + 0.1 * b + 0.004 * r + 0.003 * c;
  };
  write_raster(dir / "nan.tif", recipe);
  const auto info = geosr_run("info " + t::quote(dir / "nan.tif"));
  EXPECT_NE(info.output.find("invalid pixels as internal mask"), std::string::npos) << info.output;
  for (const std::string& method : {"--method bicubic --scale 5", "--steps 2 --window 32 --stride 24"}) {
    SCOPED_TRACE(method);
    const auto out = dir / "out.tif";
    const auto r = geosr_run("sr -q --overwrite " + method + " " + t::quote(dir / "nan.tif") + " " + t::quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto ds = t::open_raster(out);
    GDALRasterBand* mask = ds->GetRasterBand(1)->GetMaskBand();
    EXPECT_TRUE(ds->GetRasterBand(1)->GetMaskFlags() & GMF_PER_DATASET);
    uint8_t inside = 255, outside = 0;
    ASSERT_EQ(mask->RasterIO(GF_Read, 150, 100, 1, 1, &inside, 1, 1, GDT_Byte, 0, 0, nullptr), CE_None);
    ASSERT_EQ(mask->RasterIO(GF_Read, 250, 200, 1, 1, &outside, 1, 1, GDT_Byte, 0, 0, nullptr), CE_None);
    EXPECT_EQ(inside, 0) << "the NaN block";
    EXPECT_EQ(outside, 255);
    float value = 0.0f;
    ASSERT_EQ(ds->GetRasterBand(1)->RasterIO(GF_Read, 250, 200, 1, 1, &value, 1, 1, GDT_Float32, 0, 0, nullptr), CE_None);
    EXPECT_TRUE(std::isfinite(value));
  }
}

TEST(CliRoundTrip, NoGeotransformOrCrsWarnsAndProcesses) {
  const auto dir = t::scratch("no_georef");
  t::RasterRecipe recipe;
  recipe.geotransform.reset();
  recipe.epsg = 0;
  write_raster(dir / "plain.tif", recipe);
  const auto r = geosr_run("sr -q --method bicubic --scale 2 " + t::quote(dir / "plain.tif") + " " + t::quote(dir / "out.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: input has no geotransform"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("warning: input has no CRS"), std::string::npos) << r.output;
  auto ds = t::open_raster(dir / "out.tif");
  std::array<double, 6> gt{};
  EXPECT_NE(ds->GetGeoTransform(gt.data()), CE_None);
  EXPECT_EQ(ds->GetSpatialRef(), nullptr);
  EXPECT_EQ(t::cog_problems(dir / "out.tif"), "");
  const auto tr = geosr_run("sr -q --method bicubic --tr 1 1 " + t::quote(dir / "plain.tif") + " " + t::quote(dir / "tr.tif"));
  EXPECT_EQ(tr.exit_code, 1) << tr.output;
}

TEST(CliRoundTrip, RotatedGeotransformScaled) {
  const auto dir = t::scratch("rotated");
  t::RasterRecipe recipe;
  recipe.geotransform = std::array<double, 6>{300000.0, 8.0, 2.0, 4100000.0, 1.0, -8.0};
  write_raster(dir / "rot.tif", recipe);
  auto r = geosr_run("degrade -q --scale 4 " + t::quote(dir / "rot.tif") + " " + t::quote(dir / "lr.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = geosr_run("sr -q --method bicubic --scale 4 " + t::quote(dir / "lr.tif") + " " + t::quote(dir / "hr.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto lr = geotransform(dir / "lr.tif");
  const std::array<double, 6> want_lr{300000.0, 32.0, 8.0, 4100000.0, 4.0, -32.0};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(lr[i], want_lr[i], 1e-9) << i;
  const auto hr = geotransform(dir / "hr.tif");
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(hr[i], (*recipe.geotransform)[i], 1e-9) << i;
}

TEST(CliRoundTrip, WhatTheValuesMeanCarriesOver) {
  // Landsat counts stored with a scale, an offset and a unit (as Collection 2 reflectances are),
  // georeferenced as pixel-is-point: every output holds values in the same units, so it says so too,
  // and its extent stays the input's.
  const auto dir = t::scratch("band_meaning");
  const auto lr = dir / "lr.tif";
  ASSERT_EQ(t::run_command("gdal_translate -q -srcwin 100 100 40 30 -b 1 -b 2 -b 3 -a_scale 2.75e-05 -a_offset -0.2 "
                           "-mo AREA_OR_POINT=Point " + t::quote(t::shared_data() / "odd" / "landsat7_6band_28m.tif") + " " +
                           t::quote(lr)).exit_code, 0);
  {
    auto ds = t::open_raster(lr, GA_Update);
    for (int b = 1; b <= 3; ++b) ds->GetRasterBand(b)->SetUnitType("reflectance");
  }
  const auto in_extent = extent(lr);
  for (const std::string& command : {"degrade -q --scale 2", "sr -q --method bicubic --scale 2", "sr -q --steps 1"}) {
    const auto out = dir / (std::to_string(std::hash<std::string>{}(command)) + ".tif");
    const auto r = geosr_run(command + " " + t::quote(lr) + " " + t::quote(out));
    ASSERT_EQ(r.exit_code, 0) << command << ": " << r.output;
    auto ds = t::open_raster(out);
    for (int b = 1; b <= 3; ++b) {
      GDALRasterBand* band = ds->GetRasterBand(b);
      EXPECT_DOUBLE_EQ(band->GetScale(), 2.75e-05) << command;
      EXPECT_DOUBLE_EQ(band->GetOffset(), -0.2) << command;
      EXPECT_STREQ(band->GetUnitType(), "reflectance") << command;
    }
    const char* area = ds->GetMetadataItem(GDALMD_AREA_OR_POINT);
    EXPECT_STREQ(area ? area : "", "Point") << command;
    const auto out_extent = extent(out);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(out_extent[static_cast<size_t>(i)], in_extent[static_cast<size_t>(i)], 1e-6) << command;
  }
}

}  // namespace
