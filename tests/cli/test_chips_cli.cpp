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
}

}  // namespace
