// The output's GDAL driver, from -of or from DST's extension as GDAL's utilities choose it, and the
// creation options geosr starts each format with, checked against the drivers GDAL has.
#include <gtest/gtest.h>

#include <algorithm>

#include "geosr/io/output_format.hpp"

namespace {

using geosr::output_format;

// The reason output_format gives for refusing, or "" when it does not refuse.
std::string refusal(const std::string& path, const std::string& requested = "") {
  try {
    output_format(path, requested);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::vector<std::string>& options, const std::string& option) {
  return std::find(options.begin(), options.end(), option) != options.end();
}

TEST(OutputFormat, ACogUnlessTheOptionOrTheExtensionNamesAnother) {
  EXPECT_EQ(output_format("out/scene.tif"), "COG");
  EXPECT_EQ(output_format("scene.TIFF"), "COG");
  EXPECT_EQ(output_format("scene"), "COG");
  EXPECT_EQ(output_format("scene.png"), "PNG");
  EXPECT_EQ(output_format("scene.JPG"), "JPEG");
  EXPECT_EQ(output_format("scene.img"), "HFA");
  // -of in any case, as GDAL takes it, whatever the name says.
  EXPECT_EQ(output_format("scene.tif", "gtiff"), "GTiff");
  EXPECT_EQ(output_format("scene.png", "cog"), "COG");
}

TEST(OutputFormat, NamesAndFormatsGeosrCannotWriteAreRefused) {
  EXPECT_NE(refusal("scene.grd").find("several GDAL formats write '.grd' files"), std::string::npos);
  EXPECT_NE(refusal("scene.qqq").find("no GDAL format writes '.qqq' files"), std::string::npos);
  EXPECT_NE(refusal("scene.tif", "NoSuchDriver").find("no such raster format"), std::string::npos);
  // A VRT would reference the staging file, removed once the output is in place.
  EXPECT_NE(refusal("scene.vrt").find("geosr vrt"), std::string::npos);
  EXPECT_NE(refusal("scene.tif", "VRT").find("geosr vrt"), std::string::npos);
  EXPECT_NE(refusal("scene.tif", "MEM").find("cannot write MEM"), std::string::npos);
  // A vector-only driver writes no rasters.
  EXPECT_NE(refusal("scene.tif", "GeoJSON").find("no such raster format"), std::string::npos);
}

TEST(OutputFormat, CreationOptionsStartFromTheFormatsDefaults) {
  const auto cog = geosr::default_creation_options("COG");
  EXPECT_TRUE(contains(cog, "OVERVIEW_RESAMPLING=AVERAGE"));
  EXPECT_TRUE(contains(cog, "PREDICTOR=2"));
  EXPECT_TRUE(contains(geosr::default_creation_options("GTiff"), "TILED=YES"));
  EXPECT_TRUE(geosr::default_creation_options("PNG").empty());
  const auto lzw = geosr::creation_options("COG", {"COMPRESS=LZW", "BLOCKSIZE=128"});
  EXPECT_TRUE(contains(lzw, "COMPRESS=LZW"));
  EXPECT_TRUE(contains(lzw, "BLOCKSIZE=128"));
  EXPECT_EQ(std::count_if(lzw.begin(), lzw.end(), [](const auto& o) { return o.rfind("COMPRESS=", 0) == 0; }), 1);
  EXPECT_NO_THROW(geosr::check_creation_options("PNG", {"ZLEVEL=9"}));
  EXPECT_THROW(geosr::check_creation_options("PNG", {"COMPRESS=ZSTD"}), std::runtime_error);
  EXPECT_THROW(geosr::check_creation_options("COG", {"COMPRESS=NOPE"}), std::runtime_error);
}

}  // namespace
