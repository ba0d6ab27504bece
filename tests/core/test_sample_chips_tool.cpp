// geosr-sample-chips, as a user runs it: shards written whole or not at all, never over an input.
#include <gtest/gtest.h>

#include <filesystem>

#include "geosr/core/train/chip_shard.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace t = geosr::test;

namespace {

const std::string kTool = GEOSR_SAMPLE_CHIPS_BINARY;

std::string tool(const std::string& args) {
  return kTool + " " + t::quote(t::samples() / "models" / "naip-rgb-x5-tiny.safetensors") + " " + args +
         " --steps 2 --window 40 --stride 30 --limit 1 --threads 1";
}

}  // namespace

TEST(SampleChipsTool, WritesWholeShardsNeverOverAnInput) {
  const fs::path dir = t::scratch("sample_chips");
  fs::copy_file(t::samples() / "chips" / "val.chips", dir / "hr.chips");
  const std::string hr_bytes = t::file_bytes(dir / "hr.chips");
  const std::string outputs = t::quote(dir / "sr.chips") + " " + t::quote(dir / "bicubic.chips");

  const auto over_input = t::run_command(tool(t::quote(dir / "hr.chips") + " " + t::quote(dir / "hr.chips") + " " +
                                              t::quote(dir / "bicubic.chips")));
  EXPECT_EQ(over_input.exit_code, 2);
  EXPECT_EQ(over_input.output, "geosr-sample-chips: error: " + (dir / "hr.chips").string() + " is also an input\n");
  EXPECT_EQ(t::file_bytes(dir / "hr.chips"), hr_bytes);
  const auto bad_number = t::run_command(tool(t::quote(dir / "hr.chips") + " " + outputs) + " --seed x");
  EXPECT_EQ(bad_number.output, "geosr-sample-chips: error: --seed needs a whole number, got 'x'\n");

  // A one-band shard the three-band model cannot take: an error, and no shard half written.
  geosr::ChipShardInfo info;
  const auto chips = geosr::read_chip_shard((dir / "hr.chips").string(), &info);
  info.channels = 1;
  {
    geosr::ChipShardWriter pan((dir / "pan.chips").string(), info);
    pan.append(chips[0].narrow(0, 0, 1));
  }
  const auto pan = t::run_command(tool(t::quote(dir / "pan.chips") + " " + outputs));
  EXPECT_EQ(pan.exit_code, 1) << pan.output;
  EXPECT_EQ(t::other_files(dir, {"hr.chips", "pan.chips"}), std::vector<std::string>{}) << pan.output;

  const auto made = t::run_command(tool(t::quote(dir / "hr.chips") + " " + outputs));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  EXPECT_EQ(geosr::read_chip_shard_info((dir / "sr.chips").string()).count, 1);
  EXPECT_EQ(geosr::read_chip_shard_info((dir / "bicubic.chips").string()).count, 1);
  const auto again = t::run_command(tool(t::quote(dir / "hr.chips") + " " + outputs));
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_EQ(again.output, "geosr-sample-chips: error: " + (dir / "sr.chips").string() + " exists (use --overwrite)\n");
  EXPECT_EQ(t::run_command(tool(t::quote(dir / "hr.chips") + " " + outputs) + " --overwrite").exit_code, 0);
}
