// The raster writer: valid COGs, georeferencing (rotation included), NoData and masks carried,
// metadata, creation options, other formats with their sidecars, and never a partial file (or a
// stale sidecar) under the output name.
#include <gtest/gtest.h>

#include <functional>

#include "gdal_fixtures.hpp"
#include "geosr/io/pipeline.hpp"
#include "geosr/io/raster_source.hpp"
#include "geosr/io/raster_writer.hpp"

namespace {

namespace t = geosr::test;
using geosr::ResampleKernel;

std::filesystem::path upscale(const std::filesystem::path& input, const std::filesystem::path& output, int scale,
                              const std::function<void(geosr::OutputSpec&)>& adjust = {}) {
  const geosr::RasterSource source(input.string());
  auto spec = geosr::output_spec_for(source, source.width() * scale, source.height() * scale);
  spec.metadata = {{"GEOSR_METHOD", "bicubic"}, {"GEOSR_SCALE", std::to_string(scale)}};
  if (adjust) adjust(spec);
  geosr::RasterWriter writer(output, spec);
  geosr::ResampleProcessor processor(ResampleKernel::Cubic, source.height(), source.width(), spec.height, spec.width);
  geosr::run_pipeline(source, processor, writer);
  writer.commit();
  return output;
}

TEST(RasterWriter, ValidCogWithOverviewsMetadataAndStyle) {
  const auto dir = t::scratch("valid_cog");
  const auto input = t::shared_data() / "naip-trees" / "images" / "riverside_2018_0.tif";
  const auto out = upscale(input, dir / "out.tif", 4);
  EXPECT_EQ(t::cog_problems(out), "");
  auto ds = t::open_raster(out);
  auto in = t::open_raster(input);
  EXPECT_EQ(ds->GetRasterXSize(), 1024);
  EXPECT_EQ(ds->GetRasterCount(), 4);
  EXPECT_GE(ds->GetRasterBand(1)->GetOverviewCount(), 1);
  EXPECT_STREQ(ds->GetMetadataItem("GEOSR_METHOD"), "bicubic");
  EXPECT_STREQ(ds->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"), "COG");
  const char* compression = ds->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE");
  ASSERT_NE(compression, nullptr);
  EXPECT_TRUE(std::string(compression) == "ZSTD" || std::string(compression) == "DEFLATE");
  EXPECT_STREQ(ds->GetMetadataItem("PREDICTOR", "IMAGE_STRUCTURE"), "2");
  for (int b = 1; b <= 4; ++b) {
    EXPECT_EQ(ds->GetRasterBand(b)->GetColorInterpretation(), in->GetRasterBand(b)->GetColorInterpretation());
    EXPECT_EQ(ds->GetRasterBand(b)->GetRasterDataType(), GDT_Byte);
  }
  EXPECT_TRUE(ds->GetSpatialRef()->IsSame(in->GetSpatialRef()));
  EXPECT_EQ(t::other_files(dir, {"out.tif"}), std::vector<std::string>{});
}

TEST(RasterWriter, CreationOptionsOverrideDefaults) {
  const auto dir = t::scratch("co_override");
  const auto out = upscale(t::shared_data() / "naip-trees" / "images" / "riverside_2018_0.tif", dir / "out.tif", 2,
                           [](auto& spec) { spec.creation_options = {"COMPRESS=LZW", "BLOCKSIZE=128"}; });
  auto ds = t::open_raster(out);
  EXPECT_STREQ(ds->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE"), "LZW");
  int bw = 0, bh = 0;
  ds->GetRasterBand(1)->GetBlockSize(&bw, &bh);
  EXPECT_EQ(bw, 128);
}

TEST(RasterWriter, RotatedGeotransformKeepsCornersAndScalesAllTerms) {
  const auto dir = t::scratch("rotated");
  t::RasterRecipe recipe;
  recipe.geotransform = std::array<double, 6>{1000.0, 3.0, 1.5, 2000.0, 0.5, -4.0};
  write_raster(dir / "in.tif", recipe);
  const auto out = upscale(dir / "in.tif", dir / "out.tif", 3);
  auto ds = t::open_raster(out);
  std::array<double, 6> gt{};
  ASSERT_EQ(ds->GetGeoTransform(gt.data()), CE_None);
  const std::array<double, 6> expected{1000.0, 1.0, 0.5, 2000.0, 0.5 / 3, -4.0 / 3};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(gt[i], expected[i], 1e-12) << i;
  // The far corner lands where the input's far corner is.
  const double x = gt[0] + 64 * 3 * gt[1] + 48 * 3 * gt[2];
  const double y = gt[3] + 64 * 3 * gt[4] + 48 * 3 * gt[5];
  EXPECT_NEAR(x, 1000.0 + 64 * 3.0 + 48 * 1.5, 1e-9);
  EXPECT_NEAR(y, 2000.0 + 64 * 0.5 - 48 * 4.0, 1e-9);
  EXPECT_EQ(t::cog_problems(out), "");
}

TEST(RasterWriter, NoDataCarriedToTheOutputGrid) {
  const auto dir = t::scratch("nodata_out");
  t::RasterRecipe recipe;
  recipe.type = GDT_Byte;
  recipe.nodata = 0.0;
  // A NoData corner and valid values that bicubic ringing could push onto 0.
  recipe.value = [](int, int r, int c) { return r < 10 && c < 12 ? 0.0 : ((r + c) % 2 ? 1.0 : 200.0); };
  write_raster(dir / "in.tif", recipe);
  const auto out = upscale(dir / "in.tif", dir / "out.tif", 2);
  auto ds = t::open_raster(out);
  int has = 0;
  EXPECT_EQ(ds->GetRasterBand(1)->GetNoDataValue(&has), 0.0);
  EXPECT_TRUE(has);
  const auto v = t::read_all(ds.get());
  const int w = ds->GetRasterXSize();
  for (int r = 0; r < ds->GetRasterYSize(); ++r) {
    for (int c = 0; c < w; ++c) {
      const bool source_valid = !(r / 2 < 10 && c / 2 < 12);
      ASSERT_EQ(v[r * w + c] != 0.0, source_valid) << r << "," << c;
    }
  }
}

TEST(RasterWriter, MaskBandCarriedAsInternalMask) {
  const auto dir = t::scratch("mask_out");
  t::RasterRecipe recipe;
  recipe.mask = [](int r, int) { return r >= 5; };
  write_raster(dir / "in.tif", recipe);
  const auto out = upscale(dir / "in.tif", dir / "out.tif", 2);
  EXPECT_EQ(t::cog_problems(out), "");
  auto ds = t::open_raster(out);
  EXPECT_EQ(ds->GetRasterBand(1)->GetMaskFlags(), GMF_PER_DATASET);
  std::vector<unsigned char> mask(ds->GetRasterXSize());
  ASSERT_EQ(ds->GetRasterBand(1)->GetMaskBand()->RasterIO(GF_Read, 0, 9, ds->GetRasterXSize(), 1, mask.data(),
                                                          ds->GetRasterXSize(), 1, GDT_Byte, 0, 0),
            CE_None);
  EXPECT_EQ(mask[3], 0);
  ASSERT_EQ(ds->GetRasterBand(1)->GetMaskBand()->RasterIO(GF_Read, 0, 10, ds->GetRasterXSize(), 1, mask.data(),
                                                          ds->GetRasterXSize(), 1, GDT_Byte, 0, 0),
            CE_None);
  EXPECT_EQ(mask[3], 255);
}

TEST(RasterWriter, NoPartialFileWhenNotCommittedOrOutputExists) {
  const auto dir = t::scratch("no_partial");
  t::RasterRecipe recipe;
  write_raster(dir / "in.tif", recipe);
  const geosr::RasterSource source((dir / "in.tif").string());
  auto spec = geosr::output_spec_for(source, 128, 96);
  {
    geosr::RasterWriter writer(dir / "out.tif", spec);
    geosr::ResampleProcessor processor(ResampleKernel::Cubic, 48, 64, 96, 128);
    geosr::run_pipeline(source, processor, writer);
    // destroyed without commit, as when an exception unwinds
  }
  EXPECT_EQ(t::other_files(dir, {"in.tif"}), std::vector<std::string>{});

  std::ofstream(dir / "out.tif") << "keep me";
  EXPECT_THROW(geosr::RasterWriter(dir / "out.tif", spec), std::runtime_error);
  EXPECT_EQ(t::file_bytes(dir / "out.tif"), "keep me");
  spec.overwrite = true;
  {
    geosr::RasterWriter writer(dir / "out.tif", spec);
    geosr::ResampleProcessor processor(ResampleKernel::Cubic, 48, 64, 96, 128);
    geosr::run_pipeline(source, processor, writer);
    writer.commit();
  }
  EXPECT_EQ(t::cog_problems(dir / "out.tif"), "");
  EXPECT_THROW(geosr::RasterWriter(dir / "missing" / "out.tif", spec), std::runtime_error);
  EXPECT_THROW(geosr::RasterWriter(dir / "in.tif" / "out.tif", spec), std::runtime_error);
}

TEST(RasterWriter, OtherFormatsTakeTheirSidecarsIntoPlace) {
  const auto dir = t::scratch("other_formats");
  const auto input = t::shared_data() / "naip-trees" / "images" / "riverside_2018_0.tif";
  const auto cog = upscale(input, dir / "out.tif", 2);
  // A PNG keeps the GEOSR_ metadata in its .aux.xml, which has to follow it out of staging.
  const auto png = upscale(input, dir / "out.png", 2, [](auto& spec) { spec.format = "PNG"; });
  auto ds = t::open_raster(png);
  EXPECT_STREQ(ds->GetDriver()->GetDescription(), "PNG");
  EXPECT_STREQ(ds->GetMetadataItem("GEOSR_METHOD"), "bicubic");
  EXPECT_EQ(t::read_all(ds.get()), t::read_all(t::open_raster(cog).get()));
  // A plain GeoTIFF: tiled and compressed like the COG, without its layout.
  const auto plain = upscale(input, dir / "plain.tif", 2, [](auto& spec) { spec.format = "GTiff"; });
  ds = t::open_raster(plain);
  EXPECT_EQ(ds->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"), nullptr);
  const std::string compression = ds->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE");
  EXPECT_TRUE(compression == "ZSTD" || compression == "DEFLATE") << compression;
  int bw = 0, bh = 0;
  ds->GetRasterBand(1)->GetBlockSize(&bw, &bh);
  EXPECT_EQ(bw, 256);
  EXPECT_EQ(bh, 256);
  // Without an extension: GDAL moves a dataset's files by their stem, the name's own here.
  upscale(input, dir / "noext", 2, [](auto& spec) { spec.format = "PNG"; });
  EXPECT_STREQ(t::open_raster(dir / "noext")->GetMetadataItem("GEOSR_METHOD"), "bicubic");
  EXPECT_EQ(t::other_files(dir, {"out.tif", "out.png", "out.png.aux.xml", "plain.tif", "noext", "noext.aux.xml"}),
            std::vector<std::string>{});
}

TEST(RasterWriter, AReplacedOutputLeavesNoStaleSidecar) {
  const auto dir = t::scratch("stale_sidecar");
  const auto input = t::shared_data() / "naip-trees" / "images" / "riverside_2018_0.tif";
  upscale(input, dir / "out.tif", 2);
  // gdalinfo -stats leaves the old pixels' statistics beside the file.
  ASSERT_EQ(t::run_command("gdalinfo -stats " + t::quote(dir / "out.tif") + " > /dev/null").exit_code, 0);
  ASSERT_TRUE(std::filesystem::exists(dir / "out.tif.aux.xml"));
  upscale(input, dir / "out.tif", 3, [](auto& spec) { spec.overwrite = true; });
  EXPECT_EQ(t::open_raster(dir / "out.tif")->GetRasterXSize(), 768);
  EXPECT_EQ(t::other_files(dir, {"out.tif"}), std::vector<std::string>{});
  // A PNG replaced under another spelling of its path keeps its new metadata file.
  const auto png = [](auto& spec) {
    spec.format = "PNG";
    spec.overwrite = true;
  };
  upscale(input, dir / "out.png", 2, png);
  upscale(input, dir.string() + "//./out.png", 3, png);
  EXPECT_EQ(t::open_raster(dir / "out.png")->GetRasterXSize(), 768);
  EXPECT_STREQ(t::open_raster(dir / "out.png")->GetMetadataItem("GEOSR_SCALE"), "3");
}

// Why check_output_spec refuses `spec` ("" when it does not).
std::string refusal(const geosr::OutputSpec& spec) {
  try {
    geosr::check_output_spec(spec);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(RasterWriter, OutputsTheFormatCannotHoldAreRefusedBeforeWriting) {
  const auto dir = t::scratch("format_refusals");
  const geosr::RasterSource floats((t::shared_data() / "odd" / "s2like_float64_epsg4326.tif").string());
  auto spec = geosr::output_spec_for(floats, 64, 64);
  spec.format = "PNG";
  // Without strict copies GDAL's PNG driver would write the reflectances as bytes with a warning.
  EXPECT_NE(refusal(spec).find("Float64 output of 4 bands as PNG"), std::string::npos) << refusal(spec);
  EXPECT_THROW(geosr::RasterWriter(dir / "out.png", spec), std::runtime_error);
  const geosr::RasterSource landsat((t::shared_data() / "odd" / "landsat7_rgb_300m.tif").string());
  spec = geosr::output_spec_for(landsat, 64, 64);
  ASSERT_TRUE(spec.nodata);
  spec.format = "JPEG";
  EXPECT_NE(refusal(spec).find("JPEG is lossy"), std::string::npos) << refusal(spec);
  spec.format = "PNG";
  EXPECT_EQ(refusal(spec), "");
  // A mask the format cannot keep: the output would call every pixel valid.
  t::RasterRecipe masked;
  masked.type = GDT_Byte;
  masked.mask = [](int r, int) { return r >= 5; };
  write_raster(dir / "masked.tif", masked);
  spec = geosr::output_spec_for(geosr::RasterSource((dir / "masked.tif").string()), 64, 64);
  ASSERT_TRUE(spec.mask && !spec.nodata);
  spec.format = "BMP";
  EXPECT_NE(refusal(spec).find("Byte output of 1 band as BMP"), std::string::npos) << refusal(spec);
  spec.format = "PNG";  // as a .msk beside it
  EXPECT_EQ(refusal(spec), "");
  // Bands the format recodes: NAIP's four as JPEG's CMYK, or as a GeoTIFF's YCbCr JPEG with the
  // fourth turned into a mask, read back as three; two bands as PNG's grey and alpha.
  const auto naip = (t::samples() / "naip_riverside_2018_0.tif").string();
  spec = geosr::output_spec_for(geosr::RasterSource(naip), 64, 64);
  spec.format = "JPEG";
  EXPECT_NE(refusal(spec).find("4 bands as JPEG: they read back as 3"), std::string::npos) << refusal(spec);
  spec.format = "COG";
  spec.creation_options = {"COMPRESS=JPEG"};
  EXPECT_NE(refusal(spec).find("they read back as 3"), std::string::npos) << refusal(spec);
  spec.creation_options.clear();
  EXPECT_EQ(refusal(spec), "");
  spec = geosr::output_spec_for(geosr::RasterSource(naip, {1, 2}), 64, 64);
  spec.format = "PNG";
  EXPECT_NE(refusal(spec).find("band 2 would read back as transparency (alpha), not data"), std::string::npos)
      << refusal(spec);
  EXPECT_EQ(t::other_files(dir, {"masked.tif"}), std::vector<std::string>{});
}

}  // namespace
