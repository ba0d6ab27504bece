// geosr seg on real NAIP tiles and their tree-crown points: eval against a perfect prediction,
// GDAL's own rasterization of the bare points (every predicted pixel is a tree: precision 1, low
// recall), NoData excluded; train -> predict -> eval end to end (checkpoints, --resume, block-wise
// prediction, georeferencing); one-line errors.
#include <gtest/gtest.h>

#include <ogr_spatialref.h>

#include <regex>

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
  // The same size somewhere else: another tile's labels are not this tile's.
  write_prediction(dir / "elsewhere.tif", [](int, int) { return 0.0; });
  {
    t::DatasetPtr moved(GDALDataset::Open((dir / "elsewhere.tif").c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE));
    ASSERT_TRUE(moved);
    std::array<double, 6> gt{};
    moved->GetGeoTransform(gt.data());
    gt[0] += 5000.0;
    moved->SetGeoTransform(gt.data());
  }
  const auto place = geosr_run("seg eval --labels " + t::quote(dir / "elsewhere.tif") + " --prediction " + t::quote(dir / "pred.tif"));
  EXPECT_EQ(place.exit_code, 1) << place.output;
  EXPECT_NE(place.output.find("lie on different grids"), std::string::npos) << place.output;
  // The same numbers in another CRS (UTM zone 11 instead of the tile's 10): another place too.
  write_prediction(dir / "other_crs.tif", [](int, int) { return 0.0; });
  {
    t::DatasetPtr zoned(GDALDataset::Open((dir / "other_crs.tif").c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE));
    ASSERT_TRUE(zoned);
    OGRSpatialReference srs;
    srs.importFromEPSG(26911);
    zoned->SetSpatialRef(&srs);
  }
  const auto crs = geosr_run("seg eval --labels " + t::quote(dir / "other_crs.tif") + " --prediction " + t::quote(dir / "pred.tif"));
  EXPECT_EQ(crs.exit_code, 1) << crs.output;
  EXPECT_NE(crs.output.find("are in different CRSs"), std::string::npos) << crs.output;
  // Vector labels of another city: none of their crowns falls on the tile.
  const auto away = geosr_run("seg eval --labels " + t::quote(crowns.parent_path() / "long_beach_2018_0.json") +
                              " --prediction " + t::quote(dir / "pred.tif"));
  EXPECT_EQ(away.exit_code, 1) << away.output;
  EXPECT_NE(away.output.find("lies on the raster (labels of another place"), std::string::npos) << away.output;
  // Training refuses another place's label raster as seg eval does.
  fs::create_directories(dir / "moved_labels");
  fs::copy_file(dir / "elsewhere.tif", dir / "moved_labels" / "chico_2018_0.tif");
  const auto train = geosr_run("seg train -q -b 1,2,3 --labels " + t::quote(dir / "moved_labels") + " " +
                               t::quote(tile) + " " + t::quote(dir / "run"));
  EXPECT_EQ(train.exit_code, 1) << train.output;
  EXPECT_NE(train.output.find("lie on different grids"), std::string::npos) << train.output;
  EXPECT_FALSE(fs::exists(dir / "run"));
  const auto classes = geosr_run("seg eval --labels " + t::quote(tile) + " --prediction " + t::quote(tile));
  EXPECT_EQ(classes.exit_code, 1) << "NAIP reflectances are not classes 0..1: " << classes.output;
  EXPECT_NE(classes.output.find(tile.string() + " against " + tile.string() + ": "), std::string::npos) << classes.output;
  // Validation labels of a class the model does not have: refused before an epoch is spent, by name.
  fs::create_directories(dir / "mixed");
  fs::copy_file(t::samples() / "labels" / "naip_riverside_2018_0.json", dir / "mixed" / "naip_riverside_2018_0.json");
  write_prediction(dir / "mixed" / "chico_2018_0.tif", [](int r, int) { return r < 10 ? 2.0 : 0.0; });
  const auto val = geosr_run("seg train -q -b 1,2,3 --labels " + t::quote(dir / "mixed") + " --val " + t::quote(tile) + " " +
                             t::quote(t::samples() / "naip_riverside_2018_0.tif") + " " + t::quote(dir / "run"));
  EXPECT_EQ(val.exit_code, 1) << val.output;
  EXPECT_EQ(val.output, "geosr seg train: error: " + (dir / "mixed" / "chico_2018_0.tif").string() +
                            " holds class 2; --classes 2 takes 0 .. 1\n");
  const auto limit = geosr_run("seg train -q -b 1,2,3 --time-limit -5 --labels " + t::quote(crowns.parent_path()) + " " +
                               t::quote(tile) + " " + t::quote(dir / "run"));
  EXPECT_EQ(limit.exit_code, 2) << limit.output;
  EXPECT_NE(limit.output.find("--time-limit must be a number of seconds, 0 or more"), std::string::npos) << limit.output;
  EXPECT_FALSE(fs::exists(dir / "run"));
  EXPECT_EQ(geosr_run("seg eval --prediction " + t::quote(dir / "pred.tif")).exit_code, 2);
  EXPECT_EQ(geosr_run("seg frobnicate").exit_code, 2);
  for (const auto& out : {missing.output, size.output, place.output, away.output, train.output, classes.output})
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

std::vector<double> band_values(const fs::path& path) {
  auto ds = t::open_raster(path);
  return t::read_all(ds.get());
}

size_t line_count(const fs::path& path) {
  const std::string text = t::file_bytes(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(SegCliRun, ALogThatCannotBeWrittenStopsTraining) {
  // /dev/full fails every write with ENOSPC, as a full disk does.
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const fs::path run = t::scratch("seg_train_full_disk") / "run";
  fs::create_directories(run);
  fs::create_symlink("/dev/full", run / "train_log.csv");
  const auto trained = geosr_run("seg train -q -b 1,2,3 --labels " + t::quote(t::samples() / "labels") +
                                 " --width 8 --patch 64 --batch 8 --patches-per-epoch 8 --epochs 1 " +
                                 t::quote(t::samples() / "naip_riverside_2018_0.tif") + " " + t::quote(run));
  EXPECT_EQ(trained.exit_code, 1) << trained.output;
  EXPECT_EQ(trained.output, "geosr seg train: error: cannot write " + (run / "train_log.csv").string() + "\n");
}

TEST(SegCliRun, ASignalStopsTrainingAtTheLastSavedEpoch) {
  const fs::path dir = t::scratch("seg_train_stopped"), run = dir / "run";
  const std::string train = std::string(GEOSR_BINARY) + " seg train -q -b 1,2,3 --labels " +
                            t::quote(t::samples() / "labels") + " --width 8 --patch 64 --batch 8 " +
                            "--patches-per-epoch 8 " + t::quote(t::samples() / "naip_riverside_2018_0.tif") + " " +
                            t::quote(run);
  const int code = t::interrupt_once_written(train + " --epochs 100000", run / "model.safetensors", "TERM",
                                             dir / "stopped.log");
  EXPECT_EQ(code, 128 + 15);
  const std::string said = t::file_bytes(dir / "stopped.log");
  const std::regex stopped("geosr seg train: interrupted in epoch ([0-9]+); " + (run / "model.safetensors").string() +
                           " holds epoch ([0-9]+) \\(continue with the same command and --resume\\)\n");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(said, m, stopped)) << said;
  const int saved = std::stoi(m[2]);
  EXPECT_EQ(std::stoi(m[1]), saved + 1);
  EXPECT_EQ(line_count(run / "train_log.csv"), 1u + saved) << "header and the saved epochs";
  const auto resumed = geosr_run(train.substr(std::string(GEOSR_BINARY).size() + 1) + " --resume --epochs " +
                                 std::to_string(saved + 1));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(line_count(run / "train_log.csv"), 2u + saved);
}

// Trees under --classes 3: class 2 has no pixel, so no IoU; validation scores the class that has
// (it had scored class 2 alone: empty scores, and never a best.safetensors).
TEST(SegCliRun, ValidationScoresTheForegroundClassesThatAreThere) {
  const fs::path run = t::scratch("seg_train_three_classes") / "run";
  const auto trained = geosr_run("seg train -q -b 1,2,3 --classes 3 --labels " + t::quote(t::samples() / "labels") +
                                 " --val " + t::quote(t::samples() / "naip_riverside_2018_1.tif") +
                                 " --width 8 --patch 64 --batch 8 --patches-per-epoch 8 --epochs 1 " +
                                 t::quote(t::samples() / "naip_riverside_2018_0.tif") + " " + t::quote(run));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_TRUE(fs::exists(run / "best.safetensors"));
  const std::string log = t::file_bytes(run / "train_log.csv");
  const std::string epoch = log.substr(log.find('\n') + 1);
  const std::string iou = epoch.substr(epoch.rfind(',') + 1);
  EXPECT_GE(std::stod(iou), 0.0) << log;
}

TEST(SegCliRun, TrainPredictEvalOnBundledTiles) {
  const fs::path dir = t::scratch("seg_train_predict");
  const fs::path tile = t::samples() / "naip_riverside_2018_0.tif", other = t::samples() / "naip_riverside_2018_1.tif";
  const fs::path labels = t::samples() / "labels", run = dir / "run";
  const std::string train = "seg train -q -b 1,2,3 --labels " + t::quote(labels) + " --val " + t::quote(other) +
                            " --width 8 --patch 64 --batch 8 --patches-per-epoch 16 " + t::quote(tile) + " " +
                            t::quote(run);
  const auto trained = geosr_run(train + " --epochs 2");
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  for (const char* name : {"model.safetensors", "model.state.pt", "best.safetensors", "train_log.csv"})
    EXPECT_TRUE(fs::exists(run / name)) << name;
  EXPECT_EQ(line_count(run / "train_log.csv"), 3u) << "header and two epochs";
  const auto again = geosr_run(train + " --epochs 3");
  EXPECT_EQ(again.exit_code, 1) << "a finished run is not overwritten: " << again.output;
  const auto resumed = geosr_run(train + " --epochs 3 --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(line_count(run / "train_log.csv"), 4u);
  // Nothing left to train is said, not reported as a model written; other weights do not resume.
  const auto done = geosr_run(train + " --epochs 3 --resume");
  EXPECT_EQ(done.exit_code, 2) << done.output;
  EXPECT_NE(done.output.find("has 3 epochs already; give --epochs above that"), std::string::npos) << done.output;
  const auto init = geosr_run(train + " --epochs 4 --resume --init " + t::quote(run / "best.safetensors"));
  EXPECT_EQ(init.exit_code, 2) << init.output;
  // --resume continues the run it names: another learning rate, or best.safetensors chosen on
  // another validation set, would be a different run.
  std::string without_val = train;
  without_val.erase(without_val.find(" --val "), (" --val " + t::quote(other)).size());
  for (const auto& [changed, expected] : std::vector<std::pair<std::string, std::string>>{
           {train + " --lr 0.02", "trained with --lr 0.01, not 0.02"},
           {train + " --gamma 0.5", "trained with --gamma 0.97, not 0.5"},
           {without_val, "trained with --val " + fs::weakly_canonical(other).string() + ", not none"}}) {
    const auto refused = geosr_run(changed + " --epochs 4 --resume");
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_NE(refused.output.find("geosr seg train: error: cannot resume: the run was " + expected), std::string::npos)
        << refused.output;
  }
  EXPECT_EQ(line_count(run / "train_log.csv"), 4u) << "the refused runs trained nothing";
  EXPECT_EQ(t::file_bytes(run / "train_log.csv").find("nan"), std::string::npos) << "0/0 is an empty CSV field";

  const std::string model = t::quote(run / "model.safetensors");
  const auto predicted = geosr_run("seg predict -q -b 1,2,3 --model " + model + " --window 64 --probabilities " +
                                   t::quote(dir / "prob.tif") + " " + t::quote(tile) + " " + t::quote(dir / "classes.tif"));
  ASSERT_EQ(predicted.exit_code, 0) << predicted.output;
  // Without --window, the model's training patch (64): the same windows.
  const auto blocks = geosr_run("seg predict -q -b 1,2,3 --model " + model + " --block-rows 50 " +
                                t::quote(tile) + " " + t::quote(dir / "classes_blocks.tif"));
  ASSERT_EQ(blocks.exit_code, 0) << blocks.output;
  // The model is an input: neither output may replace it.
  const std::string model_bytes = t::file_bytes(run / "model.safetensors");
  for (const std::string& outputs : {model, t::quote(dir / "c.tif") + " --probabilities " + model}) {
    const auto over = geosr_run("seg predict -q -b 1,2,3 --overwrite -of GTiff --model " + model + " " + t::quote(tile) +
                                " " + (outputs == model ? model : "--probabilities " + model + " " + t::quote(dir / "c.tif")));
    EXPECT_EQ(over.exit_code, 2) << over.output;
    EXPECT_NE(over.output.find("geosr never writes over its input"), std::string::npos) << over.output;
  }
  EXPECT_EQ(t::file_bytes(run / "model.safetensors"), model_bytes);
  EXPECT_EQ(t::cog_problems(dir / "classes.tif"), "");
  auto input = t::open_raster(tile), classes = t::open_raster(dir / "classes.tif"), prob = t::open_raster(dir / "prob.tif");
  EXPECT_EQ(classes->GetRasterXSize(), 256);
  EXPECT_EQ(classes->GetRasterYSize(), 256);
  EXPECT_EQ(classes->GetRasterBand(1)->GetRasterDataType(), GDT_Byte);
  EXPECT_EQ(prob->GetRasterBand(1)->GetRasterDataType(), GDT_Float32);
  double in_gt[6], out_gt[6];
  input->GetGeoTransform(in_gt);
  classes->GetGeoTransform(out_gt);
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(in_gt[i], out_gt[i]);
  EXPECT_TRUE(OGRSpatialReference(input->GetProjectionRef()).IsSame(classes->GetSpatialRef()));
  const auto c = band_values(dir / "classes.tif"), p = band_values(dir / "prob.tif");
  EXPECT_EQ(c, band_values(dir / "classes_blocks.tif")) << "band-by-band prediction = whole-scene prediction";
  size_t trees = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    ASSERT_TRUE(p[i] >= 0 && p[i] <= 1) << p[i];
    if (std::abs(p[i] - 0.5) > 1e-6) ASSERT_EQ(c[i], p[i] > 0.5 ? 1.0 : 0.0) << i;
    trees += c[i] == 1.0;
  }
  EXPECT_LT(trees, c.size()) << "not every pixel a tree";

  // Per-tile predictions in a directory, scored against the label directory.
  fs::create_directories(dir / "preds");
  fs::copy_file(dir / "classes.tif", dir / "preds" / "naip_riverside_2018_0.tif");
  const auto scored = geosr_run("seg eval --labels " + t::quote(labels) + " --prediction " + t::quote(dir / "preds") +
                                " --prediction " + t::quote(dir / "classes.tif") + " --json " + t::quote(dir / "s.json"));
  EXPECT_NE(scored.exit_code, 0) << "a single file is scored against a label file, not a directory";
  const auto by_dir = geosr_run("seg eval --labels " + t::quote(labels) + " --prediction " + t::quote(dir / "preds") +
                                " --json " + t::quote(dir / "dir.json"));
  ASSERT_EQ(by_dir.exit_code, 0) << by_dir.output;
  const auto by_file = geosr_run("seg eval --labels " + t::quote(labels / "naip_riverside_2018_0.json") + " --prediction " +
                                 t::quote(dir / "classes.tif") + " --json " + t::quote(dir / "file.json"));
  ASSERT_EQ(by_file.exit_code, 0) << by_file.output;
  // GDAL-style options as in every geosr command; a JSON that could not be written is refused first.
  const auto quiet = geosr_run("seg eval -q --config GDAL_CACHEMAX 64 --labels " + t::quote(labels) + " --prediction " +
                               t::quote(dir / "preds"));
  EXPECT_EQ(quiet.exit_code, 0) << quiet.output;
  EXPECT_EQ(quiet.output, "");
  const auto nowhere = geosr_run("seg eval --labels " + t::quote(labels) + " --prediction " + t::quote(dir / "preds") +
                                 " --json " + t::quote(dir / "nodir" / "s.json"));
  EXPECT_EQ(nowhere.exit_code, 1) << nowhere.output;
  EXPECT_EQ(nowhere.output, "geosr seg eval: error: cannot write " + (dir / "nodir" / "s.json").string() + ": directory " +
                                (dir / "nodir").string() + " does not exist\n");
  for (const char* command : {"seg train -h", "seg predict -h", "seg eval -h", "sr -h"})
    EXPECT_EQ(geosr_run(command).exit_code, 0) << command;
  CPLJSONDocument a, b;
  ASSERT_TRUE(a.Load((dir / "dir.json").string()));
  ASSERT_TRUE(b.Load((dir / "file.json").string()));
  EXPECT_DOUBLE_EQ(a.GetRoot().GetArray("predictions")[0].GetDouble("accuracy"),
                   b.GetRoot().GetArray("predictions")[0].GetDouble("accuracy"));

  // Mistakes: one line, exit 1 or 2, no output file. JPEG would blur class edges into classes.
  const auto jpeg = geosr_run("seg predict -q -b 1,2,3 --model " + model + " " + t::quote(tile) + " " + t::quote(dir / "c.jpg"));
  EXPECT_EQ(jpeg.exit_code, 2) << jpeg.output;
  EXPECT_NE(jpeg.output.find("is lossy and the output holds class numbers"), std::string::npos) << jpeg.output;
  EXPECT_FALSE(fs::exists(dir / "c.jpg"));
  const auto same = geosr_run("seg predict -q -b 1,2,3 --model " + model + " --probabilities " +
                              t::quote(dir / "." / "same.tif") + " " + t::quote(tile) + " " + t::quote(dir / "same.tif"));
  EXPECT_EQ(same.exit_code, 2) << same.output;
  EXPECT_NE(same.output.find("--probabilities must name another file than CLASSES"), std::string::npos) << same.output;
  const auto bands = geosr_run("seg predict --model " + model + " " + t::quote(tile) + " " + t::quote(dir / "x.tif"));
  EXPECT_EQ(bands.exit_code, 1);
  EXPECT_NE(bands.output.find("choose them with -b"), std::string::npos) << bands.output;
  const auto window = geosr_run("seg predict -b 1,2,3 --window 100 --model " + model + " " + t::quote(tile) + " " +
                                t::quote(dir / "x.tif"));
  EXPECT_EQ(window.exit_code, 2) << window.output;
  EXPECT_NE(window.output.find("geosr seg predict: error: --window must be a multiple of 32"), std::string::npos)
      << window.output;
  const auto patch = geosr_run("seg train -q -b 1,2,3 --labels " + t::quote(labels) + " --patch 41 " + t::quote(tile) +
                               " " + t::quote(dir / "run41"));
  EXPECT_EQ(patch.exit_code, 2) << patch.output;
  EXPECT_FALSE(fs::exists(dir / "run41"));
  // A window far beyond a 256-pixel tile would only run the network over mirrored padding.
  const auto wide = geosr_run("seg predict -b 1,2,3 --window 4096 --model " + model + " " + t::quote(tile) + " " +
                              t::quote(dir / "wide.tif"));
  EXPECT_EQ(wide.exit_code, 0) << wide.output;
  EXPECT_NE(wide.output.find("--window 4096 is larger than the 256 x 256 scene: using 256"), std::string::npos)
      << wide.output;
  // Interrupted in the middle of the blocks: exit 128 + SIGTERM, and no output, not even a staged one.
  fs::create_directories(dir / "stop");
  const std::string slow = std::string(GEOSR_BINARY) + " seg predict -q -b 1,2,3 --window 64 --stride 2 --block-rows 16 --model " +
                           model + " " + t::quote(tile) + " " + t::quote(dir / "stop" / "c.tif") + " --probabilities " +
                           t::quote(dir / "stop" / "p.tif");
  const auto stopped = t::run_command("( " + slow + " 2>&1 & pid=$!; i=0; while ! ls " + t::quote(dir / "stop") +
                                      "/.c.tif.geosr-* >/dev/null 2>&1 && [ $i -lt 3000 ]; do sleep 0.01; i=$((i+1)); "
                                      "done; kill -TERM $pid; wait $pid; echo \"exit=$?\" )");
  EXPECT_NE(stopped.output.find("exit=143"), std::string::npos) << stopped.output;
  EXPECT_TRUE(fs::is_empty(dir / "stop")) << "left behind by an interrupted prediction";
  const auto no_model = geosr_run("seg predict -b 1,2,3 --model " + t::quote(dir / "none.safetensors") + " " +
                                  t::quote(tile) + " " + t::quote(dir / "x.tif"));
  EXPECT_EQ(no_model.exit_code, 1) << no_model.output;
  const auto foreign = geosr_run("seg predict -b 1,2,3 --model " + t::quote(t::samples() / "models" / "naip-rgb-x5-tiny.safetensors") +
                                 " " + t::quote(tile) + " " + t::quote(dir / "x.tif"));
  EXPECT_EQ(foreign.exit_code, 1) << foreign.output;
  EXPECT_NE(foreign.output.find("not a geosr segmentation model"), std::string::npos) << foreign.output;
  // Never over an input: the scene under CLASSES or --probabilities, the prediction under --json.
  const std::string scene = t::file_bytes(dir / "classes.tif");
  for (const std::string& outputs : {"--overwrite " + t::quote(dir / "classes.tif"),
                                     "--probabilities " + t::quote(dir / "classes.tif") + " " + t::quote(dir / "y.tif")}) {
    const auto over = geosr_run("seg predict -q -b 1 --model " + model + " " + t::quote(dir / "classes.tif") + " " + outputs);
    EXPECT_EQ(over.exit_code, 2) << over.output;
    EXPECT_NE(over.output.find("never writes over its input"), std::string::npos) << over.output;
  }
  const auto json = geosr_run("seg eval --labels " + t::quote(labels / "naip_riverside_2018_0.json") + " --prediction " +
                              t::quote(dir / "classes.tif") + " --json " + t::quote(dir / "classes.tif"));
  EXPECT_EQ(json.exit_code, 2) << json.output;
  EXPECT_EQ(t::file_bytes(dir / "classes.tif"), scene);
  const auto no_labels = geosr_run("seg train -b 1,2,3 --labels " + t::quote(dir / "nowhere") + " " + t::quote(tile) +
                                   " " + t::quote(dir / "run2"));
  EXPECT_EQ(no_labels.exit_code, 1) << no_labels.output;
  EXPECT_EQ(geosr_run("seg train --labels " + t::quote(labels) + " --encoder resnet20 " + t::quote(tile) + " " +
                      t::quote(dir / "run2")).exit_code, 2);
  for (const auto& out : {bands.output, window.output, no_model.output, foreign.output, no_labels.output})
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_FALSE(fs::exists(dir / "x.tif"));
  EXPECT_FALSE(fs::exists(dir / "run2"));
}

}  // namespace
