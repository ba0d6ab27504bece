// Labels on a raster grid: polygons burn the pixels whose centres they hold, points become disks of
// a ground radius (GEOS buffer), features in another CRS are reprojected (PROJ); checked by hand on
// small grids and on a real NAIP tile with its tree-crown points.

#include <gtest/gtest.h>

#include <fstream>

#include <ogr_spatialref.h>

#include "geosr/seg/labels.hpp"
#include "test_support.hpp"

namespace {

using namespace geosr;
namespace fs = std::filesystem;

// 10 x 10 pixels of 1 m in UTM 11N, origin (500000, 4000000).
RasterGrid small_grid() {
  RasterGrid grid;
  grid.width = grid.height = 10;
  grid.geotransform = {500000, 1, 0, 4000000, 0, -1};
  OGRSpatialReference utm;
  utm.importFromEPSG(32611);
  char* wkt = nullptr;
  utm.exportToWkt(&wkt);
  grid.crs_wkt = wkt;
  CPLFree(wkt);
  return grid;
}

fs::path geojson(const std::string& name, const std::string& crs, const std::string& features) {
  const auto path = test::scratch(name) / (name + ".geojson");
  std::ofstream(path) << R"({"type":"FeatureCollection","crs":{"type":"name","properties":{"name":")" << crs
                      << R"("}},"features":[)" << features << "]}";
  return path;
}

std::string point(double x, double y, int cls = 1) {
  return R"({"type":"Feature","properties":{"cls":)" + std::to_string(cls) +
         R"(},"geometry":{"type":"Point","coordinates":[)" + std::to_string(x) + "," + std::to_string(y) + "]}}";
}

TEST(Labels, PolygonBurnsThePixelsWhoseCentresItHolds) {
  // x 500002..500005 holds column centres 2.5, 3.5, 4.5; y 3999995..3999997 holds rows 3 and 4.
  const auto path = geojson("polygon", "urn:ogc:def:crs:EPSG::32611",
                            R"({"type":"Feature","properties":{"cls":3},"geometry":{"type":"Polygon","coordinates":)"
                            R"([[[500002,3999997],[500005,3999997],[500005,3999995],[500002,3999995],[500002,3999997]]]}})");
  const auto labels = rasterize_labels(path.string(), small_grid(), {});
  EXPECT_EQ(labels.sum().item<int64_t>(), 6);
  EXPECT_EQ(labels.slice(0, 3, 5).slice(1, 2, 5).sum().item<int64_t>(), 6);
  LabelOptions by_class;
  by_class.class_field = "cls";
  EXPECT_EQ(rasterize_labels(path.string(), small_grid(), by_class).sum().item<int64_t>(), 18) << "class 3 burnt";
  by_class.class_field = "nope";
  EXPECT_THROW(rasterize_labels(path.string(), small_grid(), by_class), std::runtime_error);
}

TEST(Labels, PointsBecomeDisksOfTheGroundRadius) {
  // The centre of pixel (row 5, col 4); radius 1.5 m holds the 3 x 3 block (diagonal 1.41 m).
  const auto path = geojson("point", "urn:ogc:def:crs:EPSG::32611", point(500004.5, 3999994.5));
  const auto labels = rasterize_labels(path.string(), small_grid(), {});
  EXPECT_EQ(labels.sum().item<int64_t>(), 9);
  EXPECT_EQ(labels.slice(0, 4, 7).slice(1, 3, 6).sum().item<int64_t>(), 9);
  LabelOptions wide;
  wide.point_radius = 2.5;  // adds the 4 pixels at distance 2 and the 8 at sqrt(5) = 2.24
  EXPECT_EQ(rasterize_labels(path.string(), small_grid(), wide).sum().item<int64_t>(), 21);
}

TEST(Labels, FeaturesInAnotherCrsAreReprojected) {
  OGRSpatialReference utm, wgs84;
  utm.importFromEPSG(32611);
  wgs84.importFromEPSG(4326);
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> to_wgs84(OGRCreateCoordinateTransformation(&utm, &wgs84));
  double x = 500004.5, y = 3999994.5;
  ASSERT_TRUE(to_wgs84->Transform(1, &x, &y));
  char lonlat[128];
  std::snprintf(lonlat, sizeof lonlat, R"({"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[%.12f,%.12f]}})", x, y);
  const auto path = geojson("lonlat", "urn:ogc:def:crs:OGC:1.3:CRS84", lonlat);
  const auto labels = rasterize_labels(path.string(), small_grid(), {});
  EXPECT_EQ(labels.slice(0, 4, 7).slice(1, 3, 6).sum().item<int64_t>(), 9);
  EXPECT_EQ(labels.sum().item<int64_t>(), 9);
}

TEST(Labels, TreeCrownsOfARealNaipTile) {
  const auto tile = test::shared_data() / "naip-trees" / "images" / "chico_2018_0.tif";
  const auto crowns = test::shared_data() / "naip-trees" / "json" / "chico_2018_0.json";
  if (!fs::exists(tile)) GTEST_SKIP() << "needs ../shared/data";
  const RasterGrid grid = raster_grid(tile.string());
  EXPECT_EQ(grid.width, 256);
  const auto labels = rasterize_labels(crowns.string(), grid, {});
  // Every crown centre lies in a labelled pixel, and each crown covers about pi 1.5^2 / 0.36 = 20 px.
  std::ifstream in(crowns);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int64_t points = 0, hit = 0;
  for (size_t at = text.find("\"coordinates\": ["); at != std::string::npos; at = text.find("\"coordinates\": [", at + 1)) {
    double x = 0, y = 0;
    std::sscanf(text.c_str() + at, "\"coordinates\": [ %lf, %lf", &x, &y);
    const auto col = static_cast<int64_t>((x - grid.geotransform[0]) / grid.geotransform[1]);
    const auto row = static_cast<int64_t>((y - grid.geotransform[3]) / grid.geotransform[5]);
    if (row < 0 || col < 0 || row >= grid.height || col >= grid.width) continue;
    ++points;
    hit += labels[row][col].item<int64_t>();
  }
  ASSERT_GT(points, 10);
  EXPECT_EQ(hit, points);
  const double per_crown = labels.sum().item<double>() / points;
  EXPECT_GT(per_crown, 5.0);
  EXPECT_LT(per_crown, 21.0) << "overlapping crowns share pixels";
  EXPECT_THROW(rasterize_labels((test::shared_data() / "nope.json").string(), grid, {}), std::runtime_error);
}

}  // namespace
