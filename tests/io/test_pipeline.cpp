// The block pipeline end to end (read -> resample -> COG): cut into many small blocks along the
// file's own blocks, it must give the whole-image cv::resize, and validity must follow the rule.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "gdal_fixtures.hpp"
#include "geosr/io/pipeline.hpp"
#include "geosr/io/raster_source.hpp"
#include "geosr/io/raster_writer.hpp"

namespace {

using geosr::ResampleKernel;
namespace t = geosr::test;

// One band of a real raster as Float32 in [0, 1], written with the given GTiff layout.
std::filesystem::path float_copy(const std::filesystem::path& dir, const std::filesystem::path& real, int band,
                                 std::vector<std::string> layout) {
  auto src = t::open_raster(real);
  const int w = src->GetRasterXSize(), h = src->GetRasterYSize();
  std::vector<double> v(static_cast<size_t>(w) * h);
  EXPECT_EQ(src->GetRasterBand(band)->RasterIO(GF_Read, 0, 0, w, h, v.data(), w, h, GDT_Float64, 0, 0), CE_None);
  t::RasterRecipe recipe;
  recipe.width = w;
  recipe.height = h;
  recipe.type = GDT_Float32;
  recipe.options = std::move(layout);
  recipe.value = [&](int, int r, int c) { return v[static_cast<size_t>(r) * w + c] / 255.0; };
  const auto path = dir / "float.tif";
  write_raster(path, recipe);
  return path;
}

cv::Mat read_float(const std::filesystem::path& path) {
  auto ds = t::open_raster(path);
  cv::Mat m(ds->GetRasterYSize(), ds->GetRasterXSize(), CV_32F);
  EXPECT_EQ(ds->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, m.cols, m.rows, m.data, m.cols, m.rows, GDT_Float32, 0, 0),
            CE_None);
  return m;
}

double run_and_compare(const std::filesystem::path& dir, const std::filesystem::path& input, ResampleKernel kernel,
                       int out_w, int out_h) {
  const geosr::RasterSource source(input.string());
  auto spec = geosr::output_spec_for(source, out_w, out_h);
  const auto output = dir / "out.tif";
  {
    geosr::RasterWriter writer(output, spec);
    geosr::ResampleProcessor processor(kernel, source.height(), source.width(), out_h, out_w);
    geosr::PipelineOptions options;
    options.chunk_target = 37;  // many chunks, none aligned with the output
    options.max_tile = 53;
    EXPECT_EQ(geosr::run_pipeline(source, processor, writer, options), int64_t{out_w} * out_h);
    writer.commit();
  }
  EXPECT_EQ(t::cog_problems(output), "");
  cv::Mat expected;
  cv::resize(read_float(input), expected, cv::Size(out_w, out_h), 0, 0,
             kernel == ResampleKernel::Area ? cv::INTER_AREA : cv::INTER_CUBIC);
  const cv::Mat got = read_float(output);
  EXPECT_EQ(got.size(), expected.size());
  return cv::norm(got, expected, cv::NORM_INF);
}

TEST(BlockwisePipeline, CubicOnStripsEqualsWholeImageResize) {
  const auto dir = t::scratch("cubic_strips");
  const auto input = float_copy(dir, t::shared_data() / "naip-trees" / "images" / "riverside_2018_1.tif", 1,
                                {"BLOCKYSIZE=7"});
  EXPECT_LE(run_and_compare(dir, input, ResampleKernel::Cubic, 768, 768), 1e-4);
}

TEST(BlockwisePipeline, CubicNonIntegerScaleOnTilesEqualsWholeImageResize) {
  const auto dir = t::scratch("cubic_tiles");
  const auto input = float_copy(dir, t::shared_data() / "naip-trees" / "images" / "riverside_2018_1.tif", 2,
                                {"TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=16"});
  EXPECT_LE(run_and_compare(dir, input, ResampleKernel::Cubic, 640, 601), 1e-4);
}

TEST(BlockwisePipeline, AreaOnSceneNotMultipleOfScaleEqualsWholeImageResize) {
  const auto dir = t::scratch("area_scene");
  const auto input = float_copy(dir, t::shared_data() / "scenes" / "naip_5m_nd_20200831.tif", 3,
                                {"TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64"});
  // 934 x 723 by 5: rounded sizes, fractional area weights at the chunk seams.
  EXPECT_LE(run_and_compare(dir, input, ResampleKernel::Area, 187, 145), 1e-4);
}

TEST(Validity, EnlargingTakesTheInputPixelUnderTheCentre) {
  auto valid = torch::rand({9, 11}) > 0.3;
  const auto out = geosr::resample_validity(valid, 9, 11, {0, 9}, {0, 11}, 27, 33, {0, 27}, {0, 33});
  for (int r = 0; r < 27; ++r) {
    for (int c = 0; c < 33; ++c) {
      ASSERT_EQ(out[r][c].item<bool>(), valid[r / 3][c / 3].item<bool>()) << r << "," << c;
    }
  }
}

TEST(Validity, ShrinkingNeedsTheWholeFootprintValid) {
  auto valid = torch::rand({12, 16}) > 0.1;
  const auto out = geosr::resample_validity(valid, 12, 16, {0, 12}, {0, 16}, 3, 4, {0, 3}, {0, 4});
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) {
      const bool all = valid.slice(0, r * 4, r * 4 + 4).slice(1, c * 4, c * 4 + 4).all().item<bool>();
      EXPECT_EQ(out[r][c].item<bool>(), all);
    }
  }
  // A window that is only part of the input gives the same answer for its part.
  const auto part = geosr::resample_validity(valid.slice(0, 4, 12), 12, 16, {4, 12}, {0, 16}, 3, 4, {1, 3}, {0, 4});
  EXPECT_TRUE(torch::equal(part, out.slice(0, 1, 3)));
}

}  // namespace
