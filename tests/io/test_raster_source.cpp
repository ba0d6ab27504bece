// Reading rasters into model space: every supported data type, the value rule and --in-range,
// NoData values, mask bands, windows that cut across the file's blocks, and bad files.
#include <gtest/gtest.h>

#include <fstream>

#include <torch/torch.h>

#include "gdal_fixtures.hpp"
#include "geosr/io/raster_source.hpp"

namespace {

using geosr::RasterSource;
using geosr::Span;
namespace t = geosr::test;

// The rule, written out independently of the library: [lo, hi] -> [-1, 1].
double model_value(double v, double lo, double hi) { return 2.0 * (v - lo) / (hi - lo) - 1.0; }

struct TypeCase {
  GDALDataType type;
  double lo;
  double hi;
};

class EveryType : public ::testing::TestWithParam<TypeCase> {};

TEST_P(EveryType, ReadsWithTheDefaultRangeOfItsType) {
  const auto param = GetParam();
  const auto dir = t::scratch(std::string("type_") + GDALGetDataTypeName(param.type));
  t::RasterRecipe recipe;
  recipe.type = param.type;
  recipe.width = 40;
  recipe.height = 30;
  // The extremes of the type's range and values in between.
  recipe.value = [&](int, int r, int c) {
    if (r == 0 && c == 0) return param.lo;
    if (r == 0 && c == 1) return param.hi;
    const double f = (r * 40 + c) / 1200.0;
    const double v = param.lo + f * (param.hi - param.lo);
    return GDALDataTypeIsInteger(param.type) ? std::round(v) : v;
  };
  write_raster(dir / "in.tif", recipe);

  const RasterSource source((dir / "in.tif").string());
  ASSERT_EQ(source.bands().size(), 1u);
  EXPECT_EQ(source.bands()[0].type, param.type);
  EXPECT_EQ(source.bands()[0].range.lo, param.lo);
  EXPECT_EQ(source.bands()[0].range.hi, param.hi);
  const auto window = source.read({0, 30}, {0, 40});
  EXPECT_EQ(window.data.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(window.valid.all().item<bool>());
  EXPECT_FLOAT_EQ(window.data[0][0][0].item<float>(), -1.0f);
  EXPECT_FLOAT_EQ(window.data[0][0][1].item<float>(), 1.0f);
  auto ds = t::open_raster(dir / "in.tif");
  const auto raw = t::read_all(ds.get());
  double worst = 0.0;
  for (int r = 0; r < 30; ++r) {
    for (int c = 0; c < 40; ++c) {
      const double expected = model_value(raw[r * 40 + c], param.lo, param.hi);
      worst = std::max(worst, std::abs(window.data[0][r][c].item<double>() - expected));
    }
  }
  EXPECT_LT(worst, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Types, EveryType,
                         ::testing::Values(TypeCase{GDT_Byte, 0, 255}, TypeCase{GDT_UInt16, 0, 65535},
                                           TypeCase{GDT_Int16, -32768, 32767}, TypeCase{GDT_UInt32, 0, 4294967295.0},
                                           TypeCase{GDT_Float32, 0, 1}, TypeCase{GDT_Float64, 0, 1}),
                         [](const auto& info) { return std::string(GDALGetDataTypeName(info.param.type)); });

TEST(InRange, OnePairForAllBandsOrOnePerBand) {
  const auto dir = t::scratch("in_range");
  t::RasterRecipe recipe;
  recipe.type = GDT_UInt16;
  recipe.bands = 2;
  recipe.value = [](int b, int, int) { return b == 0 ? 500.0 : 1000.0; };
  write_raster(dir / "in.tif", recipe);
  const auto path = (dir / "in.tif").string();

  const RasterSource all(path, {}, {{0.0, 1000.0}});
  auto w = all.read({0, 4}, {0, 4});
  EXPECT_FLOAT_EQ(w.data[0][0][0].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(w.data[1][0][0].item<float>(), 1.0f);

  const RasterSource per_band(path, {}, {{0.0, 1000.0}, {1000.0, 3000.0}});
  w = per_band.read({0, 4}, {0, 4});
  EXPECT_FLOAT_EQ(w.data[0][0][0].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(w.data[1][0][0].item<float>(), -1.0f);

  EXPECT_THROW(RasterSource(path, {}, {{0, 1}, {0, 2}, {0, 3}}), std::invalid_argument);
  EXPECT_THROW(geosr::parse_ranges("5,1"), std::invalid_argument);
  EXPECT_THROW(geosr::parse_ranges("0,1,2"), std::invalid_argument);
  EXPECT_THROW(geosr::parse_ranges("a,b"), std::invalid_argument);
  EXPECT_THROW(geosr::parse_ranges("0,255,"), std::invalid_argument) << "a trailing comma is a typo";
  // Spans whose mapping to [-1, 1] would underflow or overflow (NaN in the canvas hours later).
  EXPECT_THROW(geosr::parse_ranges("0,1e-300"), std::invalid_argument);
  EXPECT_THROW(geosr::parse_ranges("-1e308,1e308"), std::invalid_argument);
  EXPECT_EQ(geosr::parse_ranges("-1,1,0,255").size(), 2u);
}

TEST(BandSelection, PicksBandsAndRejectsOutOfRange) {
  const auto path = t::shared_data() / "odd" / "landsat7_6band_28m.tif";
  const RasterSource source(path.string(), {5, 2});
  ASSERT_EQ(source.bands().size(), 2u);
  EXPECT_EQ(source.bands()[0].index, 5);
  auto ds = t::open_raster(path);
  double v = 0;
  ASSERT_EQ(ds->GetRasterBand(5)->RasterIO(GF_Read, 10, 7, 1, 1, &v, 1, 1, GDT_Float64, 0, 0), CE_None);
  EXPECT_NEAR(source.read({7, 8}, {10, 11}).data[0][0][0].item<double>(), model_value(v, 0, 255), 1e-6);
  try {
    RasterSource bad(path.string(), {7});
    FAIL() << "band 7 of 6 accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
  }
}

// Windows with halos that cut across strips and tiles read the same values as one whole read.
TEST(Windows, AnyWindowEqualsTheSameSliceOfTheWholeImage) {
  for (const char* name : {"spacenet_ms_float64_1m.tif", "spacenet_pan_uint16_0p5m.tif", "s2like_float64_epsg4326.tif"}) {
    const RasterSource source((t::shared_data() / "odd" / name).string());
    const auto whole = source.read({0, source.height()}, {0, source.width()});
    const int64_t h = source.height(), w = source.width();
    const std::vector<std::pair<Span, Span>> windows{{Span{3, h - 5}, Span{11, w / 2}}, {Span{h / 2, h}, Span{0, 77}}};
    for (const auto& [rows, cols] : windows) {
      const auto part = source.read(rows, cols);
      EXPECT_TRUE(torch::equal(part.data, whole.data.slice(1, rows.begin, rows.end).slice(2, cols.begin, cols.end))) << name;
      EXPECT_TRUE(torch::equal(part.valid, whole.valid.slice(0, rows.begin, rows.end).slice(1, cols.begin, cols.end))) << name;
    }
  }
}

TEST(RealFiles, Float64ReflectanceUsesTheFloatRuleNotSceneStatistics) {
  // Values ~300..4300 with the default 0..1 rule give model values far outside [-1, 1]: explicit,
  // never rescaled per scene; --in-range is how a user brings them into range.
  const auto path = (t::shared_data() / "odd" / "s2like_float64_epsg4326.tif").string();
  const RasterSource source(path);
  EXPECT_EQ(source.bands().size(), 4u);
  EXPECT_EQ(source.data_type(), GDT_Float64);
  auto ds = t::open_raster(path);
  const auto raw = t::read_all(ds.get());
  const auto w = source.read({0, source.height()}, {0, source.width()});
  EXPECT_NEAR(w.data[2][5][9].item<double>(), model_value(raw[2 * 343 * 206 + 5 * 343 + 9], 0, 1),
              1e-6 * std::abs(raw[2 * 343 * 206 + 5 * 343 + 9]));
  const RasterSource ranged(path, {}, {{0.0, 10000.0}});
  const auto r = ranged.read({0, source.height()}, {0, source.width()});
  EXPECT_LT(r.data.abs().max().item<float>(), 1.0f);
}

TEST(NoData, LandsatZeroBorderIsInvalidAndFilledWithZero) {
  const auto path = (t::shared_data() / "odd" / "landsat7_rgb_300m.tif").string();
  const RasterSource source(path);
  ASSERT_TRUE(source.bands()[0].nodata.has_value());
  EXPECT_EQ(*source.bands()[0].nodata, 0.0);
  EXPECT_TRUE(source.has_invalid_pixels());
  const auto w = source.read({0, source.height()}, {0, source.width()});
  auto ds = t::open_raster(path);
  const auto raw = torch::from_blob(const_cast<double*>(t::read_all(ds.get()).data()),
                                    {3, source.height(), source.width()}, torch::kFloat64).clone();
  const auto expected_valid = (raw != 0).any(0);
  EXPECT_TRUE(torch::equal(w.valid, expected_valid));
  const auto invalid_count = torch::logical_not(w.valid).sum().item<int64_t>();
  EXPECT_GT(invalid_count, 1000);  // the scene has a real NoData border
  EXPECT_EQ(w.data.index({torch::indexing::Slice(), torch::logical_not(w.valid)}).abs().max().item<float>(), 0.0f);
}

TEST(NoData, UInt16PanchromaticNoDataMask) {
  const auto path = (t::shared_data() / "odd" / "spacenet_pan_uint16_0p5m.tif").string();
  const RasterSource source(path);
  EXPECT_EQ(source.data_type(), GDT_UInt16);
  const auto w = source.read({0, source.height()}, {0, source.width()});
  auto ds = t::open_raster(path);
  const auto raw = t::read_all(ds.get());
  auto expected = torch::from_blob(const_cast<double*>(raw.data()), {source.height(), source.width()}, torch::kFloat64) != 0;
  EXPECT_TRUE(torch::equal(w.valid, expected));
}

TEST(MaskBand, PerDatasetMaskIsHonoured) {
  const auto dir = t::scratch("mask_band");
  t::RasterRecipe recipe;
  recipe.type = GDT_Byte;
  recipe.bands = 3;
  recipe.value = [](int b, int r, int c) { return (b * 50 + r + c) % 256; };
  recipe.mask = [](int r, int c) { return r + c > 20; };
  write_raster(dir / "in.tif", recipe);
  const RasterSource source((dir / "in.tif").string());
  EXPECT_TRUE(source.has_invalid_pixels());
  const auto w = source.read({0, 48}, {0, 64});
  EXPECT_FALSE(w.valid[0][0].item<bool>());
  EXPECT_FALSE(w.valid[10][10].item<bool>());
  EXPECT_TRUE(w.valid[10][11].item<bool>());
  EXPECT_EQ(w.data[2][0][0].item<float>(), 0.0f);
}

TEST(MaskBand, AlphaTaggedBandIsDataWhenProcessed) {
  // NAIP tiles tag their near-infrared band as alpha; processing it as data must not mask pixels.
  const auto path = (t::shared_data() / "naip-trees" / "images" / "riverside_2018_0.tif").string();
  const RasterSource all(path);
  EXPECT_EQ(all.bands()[3].color, GCI_AlphaBand);
  EXPECT_FALSE(all.has_invalid_pixels());
  const RasterSource rgb(path, {1, 2, 3});
  EXPECT_TRUE(rgb.has_invalid_pixels());
}

void expect_one_line_error(const std::string& path, const std::string& fragment) {
  try {
    RasterSource source(path);
    source.read({0, source.height()}, {0, source.width()});
    FAIL() << "no error for " << path;
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
  }
}

TEST(BadFiles, ClearOneLineErrors) {
  const auto dir = t::scratch("bad_files");
  expect_one_line_error((dir / "missing.tif").string(), "no such file");
  expect_one_line_error(dir.string(), "directory");
  std::ofstream(dir / "notes.txt") << "this is not a raster\n";
  expect_one_line_error((dir / "notes.txt").string(), "notes.txt");
  const auto bytes = t::file_bytes(t::shared_data() / "odd" / "spacenet_pan_uint16_0p5m.tif");
  std::ofstream(dir / "truncated.tif", std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  expect_one_line_error((dir / "truncated.tif").string(), "truncated.tif");
}

}  // namespace
