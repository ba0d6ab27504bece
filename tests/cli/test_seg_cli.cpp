// geosr seg eval on a real NAIP tile and its tree-crown points: a perfect prediction, GDAL's own
// rasterization of the bare points (every predicted pixel is a tree: precision 1, low recall),
// NoData excluded, and one-line errors.
#include <gtest/gtest.h>

#include "gdal_fixtures.hpp"
#include "geosr/seg/labels.hpp"

namespace {

namespace t = geosr::test;
namespace fs = std::filesystem;

t::CommandResult geosr_run(const std::string& args) { return t::run_command(std::string(GEOSR_BINARY) + " " + args); }

class SegCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = t::scratch(::testing::UnitTest::GetInstance()->current_test_info()->name());
    tile = t::shared_data() / "naip-trees" / "images" / "chico_2018_0.tif";
    crowns = t::shared_data() / "naip-trees" / "json" / "chico_2018_0.json";
    if (!fs::exists(tile)) GTEST_SKIP() << "needs ../shared/data";
  }
  // A Byte class raster on the tile's grid.
  void write_prediction(const fs::path& path, std::function<double(int, int)> value, std::optional<double> nodata = {}) {
    const geosr::RasterGrid grid = geosr::raster_grid(tile.string());
    t::RasterRecipe recipe;
    recipe.width = static_cast<int>(grid.width);
    recipe.height = static_cast<int>(grid.height);
    recipe.type = GDT_Byte;
    recipe.geotransform = grid.geotransform;
    recipe.epsg = 26910;
    recipe.nodata = nodata;
    recipe.value = [value](int, int r, int c) { return value(r, c); };
    t::write_raster(path, recipe);
  }
  fs::path dir, tile, crowns;
};

TEST_F(SegCli, ScoresPredictionsAgainstVectorLabels) {
  const auto labels = geosr::rasterize_labels(crowns.string(), geosr::raster_grid(tile.string()), {});
  write_prediction(dir / "perfect.tif", [&](int r, int c) { return labels[r][c].item<double>(); });
  write_prediction(dir / "empty.tif", [](int, int) { return 0.0; });
  // Right on the top half, NoData (255) over a wrong bottom half: only the top half is scored.
  write_prediction(dir / "half.tif", [&](int r, int c) { return r < 128 ? labels[r][c].item<double>() : 255.0; }, 255.0);
  const geosr::RasterGrid grid = geosr::raster_grid(tile.string());
  const double x1 = grid.geotransform[0] + 256 * grid.geotransform[1], y0 = grid.geotransform[3] + 256 * grid.geotransform[5];
  char te[256];
  std::snprintf(te, sizeof te, "-te %.6f %.6f %.6f %.6f", grid.geotransform[0], y0, x1, grid.geotransform[3]);
  ASSERT_EQ(t::run_command("gdal_rasterize -q -burn 1 -ot Byte -ts 256 256 " + std::string(te) + " " + t::quote(crowns) +
                           " " + t::quote(dir / "points.tif"))
                .exit_code,
            0);

  const auto r = geosr_run("seg eval --labels " + t::quote(crowns) + " --prediction " + t::quote(dir / "perfect.tif") +
                           " --prediction " + t::quote(dir / "empty.tif") + " --prediction " + t::quote(dir / "half.tif") +
                           " --prediction " + t::quote(dir / "points.tif") + " --json " + t::quote(dir / "scores.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string json = t::file_bytes(dir / "scores.json");
  CPLJSONDocument doc;
  ASSERT_TRUE(doc.LoadMemory(json));
  const auto predictions = doc.GetRoot().GetArray("predictions");
  ASSERT_EQ(predictions.Size(), 4);
  const auto tree = [&](int i) { return predictions[i].GetArray("classes")[1]; };
  EXPECT_DOUBLE_EQ(tree(0).GetDouble("iou"), 1.0);
  EXPECT_DOUBLE_EQ(predictions[0].GetDouble("accuracy"), 1.0);
  EXPECT_EQ(predictions[0].GetLong("pixels"), 256 * 256);
  EXPECT_DOUBLE_EQ(tree(1).GetDouble("recall"), 0.0);
  EXPECT_EQ(tree(1).GetObj("precision").GetType(), CPLJSONObject::Type::Null) << "nothing predicted: 0 / 0";
  EXPECT_EQ(predictions[2].GetLong("pixels"), 128 * 256) << "NoData excluded";
  EXPECT_DOUBLE_EQ(tree(2).GetDouble("iou"), 1.0);
  EXPECT_DOUBLE_EQ(tree(3).GetDouble("precision"), 1.0) << "every crown centre pixel is inside its crown";
  EXPECT_LT(tree(3).GetDouble("recall"), 0.2);
  EXPECT_NE(r.output.find("IoU"), std::string::npos) << r.output;
}

TEST_F(SegCli, BadInputsGiveOneLineErrors) {
  write_prediction(dir / "pred.tif", [](int, int) { return 0.0; });
  const auto missing = geosr_run("seg eval --labels " + t::quote(dir / "nope.json") + " --prediction " + t::quote(dir / "pred.tif"));
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("labels not found"), std::string::npos) << missing.output;
  const auto size = geosr_run("seg eval --labels " + t::quote(t::samples() / "naip_riverside_2018_0_lr5.tif") +
                              " --prediction " + t::quote(dir / "pred.tif"));
  EXPECT_EQ(size.exit_code, 1) << size.output;
  EXPECT_NE(size.output.find("different sizes"), std::string::npos) << size.output;
  const auto classes = geosr_run("seg eval --labels " + t::quote(tile) + " --prediction " + t::quote(tile));
  EXPECT_EQ(classes.exit_code, 1) << "NAIP reflectances are not classes 0..1: " << classes.output;
  EXPECT_EQ(geosr_run("seg eval --prediction " + t::quote(dir / "pred.tif")).exit_code, 2);
  EXPECT_EQ(geosr_run("seg frobnicate").exit_code, 2);
  for (const auto& out : {missing.output, size.output, classes.output})
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

}  // namespace
