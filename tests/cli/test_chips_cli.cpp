// geosr chips, run as a user would: the bundled shards were cut from real NAIP tiles
// independently (GDAL's Python bindings); the program must reproduce their pixels exactly.

#include <gtest/gtest.h>

#include <fstream>

#include "geosr/core/train/chip_shard.hpp"
#include "test_support.hpp"

namespace {

using namespace geosr;

std::string geosr_cmd() { return GEOSR_BINARY; }

TEST(ChipsCli, ReproducesTheBundledShardFromItsTileList) {
  const auto dir = test::scratch("bundled");
  const auto out = dir / "train.chips";
  const auto result = test::run_command(
      geosr_cmd() + " chips -q -b 1,2,3 --patch 48 --stride 208 --images " +
      test::quote(test::shared_data() / "naip-trees" / "images") + " " +
      test::quote(test::samples() / "chips" / "train_tiles.txt") + " " + test::quote(out));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  ChipShardInfo mine, bundled;
  const auto a = read_chip_shard(out.string(), &mine);
  const auto b = read_chip_shard((test::samples() / "chips" / "train.chips").string(), &bundled);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_NEAR(mine.value_scale, 2.0 / 255.0, 1e-15);
  EXPECT_DOUBLE_EQ(mine.value_offset, -1.0);
  std::ifstream sidecar(out.string() + ".json");
  std::string text((std::istreambuf_iterator<char>(sidecar)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"bands\": [1, 2, 3]"), std::string::npos) << text;
  EXPECT_NE(text.find("chico_2018_0.tif"), std::string::npos) << text;
}

TEST(ChipsCli, RandomSamplingIsSeeded) {
  const auto dir = test::scratch("random");
  const auto scene = test::shared_data() / "scenes" / "neon_0p1m_osbs_029.tif";
  const auto loose = test::run_command(geosr_cmd() + " chips -q --patch 64 --random 20 --seed 3 --min-valid 0 " +
                                       test::quote(scene) + " " + test::quote(dir / "loose.chips"));
  ASSERT_EQ(loose.exit_code, 0) << loose.output;
  EXPECT_EQ(read_chip_shard_info((dir / "loose.chips").string()).count, 20);
  const auto again = test::run_command(geosr_cmd() + " chips -q --patch 64 --random 20 --seed 3 --min-valid 0 " +
                                       test::quote(scene) + " " + test::quote(dir / "again.chips"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(torch::equal(read_chip_shard((dir / "loose.chips").string()),
                           read_chip_shard((dir / "again.chips").string())));
}

TEST(ChipsCli, ValuesBeyondTheValueRangeAreReported) {
  // SpaceNet's Float64 reflectances (1..2046) under a float band's default range 0..1.
  const auto dir = test::scratch("range");
  const auto scene = test::shared_data() / "odd" / "spacenet_ms_float64_1m.tif";
  const std::string cut = geosr_cmd() + " chips --patch 64 --stride 128 ";
  const auto plain = test::run_command(cut + test::quote(scene) + " " + test::quote(dir / "plain.chips"));
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_NE(plain.output.find("geosr chips: warning: 100 % of the values lie outside the value range 0..1,0..1,0..1,0..1"),
            std::string::npos)
      << plain.output;
  const auto ranged = test::run_command(cut + "--in-range 0,2047 " + test::quote(scene) + " " +
                                        test::quote(dir / "ranged.chips"));
  ASSERT_EQ(ranged.exit_code, 0) << ranged.output;
  EXPECT_EQ(ranged.output.find("warning"), std::string::npos) << ranged.output;
}

TEST(ChipsCli, BadInputGivesOneLineErrors) {
  const auto dir = test::scratch("errors");
  const auto missing = test::run_command(geosr_cmd() + " chips " + test::quote(dir / "nope.tif") + " " +
                                         test::quote(dir / "x.chips"));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("error"), std::string::npos) << missing.output;
  const auto tile = test::shared_data() / "naip-trees" / "images" / "chico_2018_0.tif";
  const auto big = test::run_command(geosr_cmd() + " chips --patch 0 " + test::quote(tile) + " " +
                                     test::quote(dir / "y.chips"));
  EXPECT_EQ(big.exit_code, 2) << big.output;
  const auto both = test::run_command(geosr_cmd() + " chips --random 4 --stride 8 " + test::quote(tile) + " " +
                                      test::quote(dir / "z.chips"));
  EXPECT_EQ(both.exit_code, 2) << both.output;
  // A DST.json already there is someone's file unless --overwrite says otherwise.
  std::ofstream(dir / "w.chips.json") << "{\"mine\": 1}";
  const auto sidecar = test::run_command(geosr_cmd() + " chips -q --patch 64 " + test::quote(tile) + " " +
                                         test::quote(dir / "w.chips"));
  EXPECT_EQ(sidecar.exit_code, 1) << sidecar.output;
  EXPECT_NE(sidecar.output.find("output exists (use --overwrite to replace it): " + (dir / "w.chips.json").string()),
            std::string::npos) << sidecar.output;
  EXPECT_EQ(test::file_bytes(dir / "w.chips.json"), "{\"mine\": 1}");
  EXPECT_FALSE(std::filesystem::exists(dir / "w.chips"));
  // As in every geosr command: the output directory is checked, and a stride or count beyond any
  // raster is refused (the grid's sum had overflowed, the corners' vector exhausted memory).
  const auto nodir = test::run_command(geosr_cmd() + " chips -q --patch 64 " + test::quote(tile) + " " +
                                       test::quote(dir / "nodir" / "c.chips"));
  EXPECT_EQ(nodir.exit_code, 1) << nodir.output;
  EXPECT_NE(nodir.output.find("output directory does not exist: " + (dir / "nodir").string()), std::string::npos)
      << nodir.output;
  for (const std::string& option : {"--stride 9223372036854775807", "--random 100000000000", "--patch 100000"}) {
    const auto r = test::run_command(geosr_cmd() + " chips -q " + option + " " + test::quote(tile) + " " +
                                     test::quote(dir / "v.chips"));
    EXPECT_EQ(r.exit_code, 2) << option << ": " << r.output;
  }
}

// Whatever fails, DST is either what it was or a complete shard, and no input is ever written.
TEST(ChipsCli, FailuresLeaveNoPartialShardAndNeverTouchTheInput) {
  const auto dir = test::scratch("chips_failures");
  const auto tile = dir / "tile.tif";
  std::filesystem::copy_file(test::shared_data() / "naip-trees" / "images" / "chico_2018_0.tif", tile);
  const auto bytes = [](const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::string original = bytes(tile);
  // With --overwrite or without: the input is not an output that exists, it is the input.
  for (const std::string& overwrite : {" --overwrite", ""}) {
    const auto r = test::run_command(geosr_cmd() + " chips" + overwrite + " --patch 64 " + test::quote(tile) + " " +
                                     test::quote(tile));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("never writes over its input"), std::string::npos) << r.output;
  }
  EXPECT_EQ(bytes(tile), original);

  // A good shard, then a failing rewrite of it: a truncated second raster.
  const auto shard = dir / "good.chips";
  ASSERT_EQ(test::run_command(geosr_cmd() + " chips -q --patch 64 " + test::quote(tile) + " " + test::quote(shard)).exit_code, 0);
  const std::string good = bytes(shard);
  test::CommandResult r;
  std::ofstream(dir / "truncated.tif", std::ios::binary) << original.substr(0, 5000);
  std::ofstream(dir / "list.txt") << tile.string() << "\n" << (dir / "truncated.tif").string() << "\n";
  r = test::run_command(geosr_cmd() + " chips -q --overwrite --patch 64 " + test::quote(dir / "list.txt") + " " +
                        test::quote(shard));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(bytes(shard), good) << "the failed run replaced the shard";
  r = test::run_command(geosr_cmd() + " chips -q --patch 64 " + test::quote(dir / "list.txt") + " " +
                        test::quote(dir / "new.chips"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "new.chips"));
  EXPECT_FALSE(std::filesystem::exists(dir / "new.chips.json"));

  // A Byte and a UInt16 raster in one shard would cast one into the other's values.
  const auto pan = test::shared_data() / "odd" / "spacenet_pan_uint16_0p5m.tif";
  std::ofstream(dir / "mixed.txt") << tile.string() << "\n" << pan.string() << "\n";
  r = test::run_command(geosr_cmd() + " chips -q -b 1 --patch 64 " + test::quote(dir / "mixed.txt") + " " +
                        test::quote(dir / "mixed.chips"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("UInt16"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "mixed.chips"));
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    EXPECT_EQ(entry.path().string().find(".geosr-"), std::string::npos) << "staging file left: " << entry.path();
}

}  // namespace
