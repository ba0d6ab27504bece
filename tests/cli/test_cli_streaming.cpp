// The streaming diffusion job as a user runs it: a memory-mapped canvas gives the RAM canvas's
// bytes, a run killed with SIGKILL or stopped with SIGTERM resumes to the uninterrupted run's bytes
// (a hangup stops it alike unless ignored), and NoData stays NoData (windows without valid pixels
// are not computed).
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <cmath>
#include <fstream>

#include "gdal_fixtures.hpp"

namespace {

namespace t = geosr::test;
namespace fs = std::filesystem;

const std::string kGeosr = GEOSR_BINARY;
t::CommandResult geosr_run(const std::string& args) { return t::run_command(kGeosr + " " + args); }

// Small windows and few steps: the job is under test, not the network.
const std::string kFast = "sr -q --window 32 --stride 24 ";

class CliStreaming : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = t::scratch(::testing::UnitTest::GetInstance()->current_test_info()->name());
    lr = t::samples() / "naip_riverside_2018_0_lr5.tif";
  }
  std::string sr(const std::string& options, const fs::path& out) const {
    return kFast + options + " " + t::quote(lr) + " " + t::quote(out);
  }
  fs::path dir, lr;
};

TEST_F(CliStreaming, MemoryMappedCanvasAndConditionGiveTheSameBytes) {
  fs::create_directories(dir / "tmp");
  // 255 x 255 x 3: 1.5 MiB of canvas arrays, 0.5 MiB per row of windows.
  const auto plan = geosr_run("sr --dry-run --steps 6 --window 32 --stride 24 --config GEOSR_CANVAS_RAM 1M --tmpdir " +
                              t::quote(dir / "tmp") + " " + t::quote(lr) + " " + t::quote(dir / "x.tif"));
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_NE(plan.output.find("memory-mapped under"), std::string::npos) << plan.output;
  EXPECT_NE(plan.output.find("estimated time:"), std::string::npos) << plan.output;

  EXPECT_NE(plan.output.find("condition:           762.01 KiB computed once, memory-mapped under"), std::string::npos)
      << plan.output;
  // Room for the two arrays and a band, not for the condition beside them: it alone is mapped.
  const auto mixed_plan = geosr_run("sr --dry-run --steps 6 --window 32 --stride 24 --config GEOSR_CANVAS_RAM 2400K --tmpdir " +
                                    t::quote(dir / "tmp") + " " + t::quote(lr) + " " + t::quote(dir / "x.tif"));
  EXPECT_NE(mixed_plan.output.find("canvas:              1.49 MiB in host RAM"), std::string::npos) << mixed_plan.output;
  EXPECT_NE(mixed_plan.output.find("computed once, memory-mapped under"), std::string::npos) << mixed_plan.output;
  // Room for one array and a band: the arrays are mapped, the condition stays in RAM.
  const auto swapped_plan = geosr_run("sr --dry-run --steps 6 --window 32 --stride 24 --config GEOSR_CANVAS_RAM 1400K --tmpdir " +
                                      t::quote(dir / "tmp") + " " + t::quote(lr) + " " + t::quote(dir / "x.tif"));
  EXPECT_NE(swapped_plan.output.find("canvas:              1.49 MiB memory-mapped under"), std::string::npos)
      << swapped_plan.output;
  EXPECT_NE(swapped_plan.output.find("computed once, in host RAM"), std::string::npos) << swapped_plan.output;

  ASSERT_EQ(geosr_run(sr("--steps 6", dir / "ram.tif")).exit_code, 0);
  const auto mapped = geosr_run(sr("--steps 6 --config GEOSR_CANVAS_RAM 1M --tmpdir " + t::quote(dir / "tmp"), dir / "mapped.tif"));
  ASSERT_EQ(mapped.exit_code, 0) << mapped.output;
  EXPECT_EQ(t::file_bytes(dir / "mapped.tif"), t::file_bytes(dir / "ram.tif"));
  const auto mixed = geosr_run(sr("--steps 6 --config GEOSR_CANVAS_RAM 2400K --tmpdir " + t::quote(dir / "tmp"), dir / "mixed.tif"));
  ASSERT_EQ(mixed.exit_code, 0) << mixed.output;
  EXPECT_EQ(t::file_bytes(dir / "mixed.tif"), t::file_bytes(dir / "ram.tif"));
  const auto swapped = geosr_run(sr("--steps 6 --config GEOSR_CANVAS_RAM 1400K --tmpdir " + t::quote(dir / "tmp"), dir / "swapped.tif"));
  ASSERT_EQ(swapped.exit_code, 0) << swapped.output;
  EXPECT_EQ(t::file_bytes(dir / "swapped.tif"), t::file_bytes(dir / "ram.tif"));
  EXPECT_TRUE(fs::is_empty(dir / "tmp")) << "canvas files are gone";

  const auto tiny = geosr_run(sr("--steps 6 --config GEOSR_CANVAS_RAM 64K", dir / "none.tif"));
  EXPECT_EQ(tiny.exit_code, 1) << tiny.output;
  EXPECT_NE(tiny.output.find("one row of windows needs"), std::string::npos) << tiny.output;
  EXPECT_FALSE(fs::exists(dir / "none.tif"));
  // --max-ram counts the whole process: 64 KiB cannot even hold the program.
  const auto below = geosr_run(sr("--steps 6 --max-ram 64K", dir / "none.tif"));
  EXPECT_EQ(below.exit_code, 1) << below.output;
  EXPECT_NE(below.output.find("is below what this run needs"), std::string::npos) << below.output;
  EXPECT_FALSE(fs::exists(dir / "none.tif"));
}

TEST_F(CliStreaming, TheWholeRunStaysUnderMaxRam) {
  // The HR tile as LR: 1275 x 1275 x 3 out, 19 MiB per canvas array. --max-ram gets what the dry
  // run says the program, a batch and GDAL's cache take, plus 24 MiB: not room for both arrays, so
  // the canvas is mapped, and the process's peak must stay under the limit.
  const auto input = t::samples() / "naip_riverside_2018_0.tif";
  fs::create_directories(dir / "tmp");
  const auto run = [&](const std::string& options, const fs::path& out) {
    return geosr_run(kFast + "--steps 2 " + options + " " + t::quote(input) + " " + t::quote(out));
  };
  const auto plan = run("--dry-run", dir / "x.tif");
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  const auto at = plan.output.find("): ");
  ASSERT_NE(at, std::string::npos) << plan.output;
  const double program_mib = std::stod(plan.output.substr(at + 3));  // "446.49 MiB the program and a batch"
  ASSERT_NE(plan.output.find(" MiB the program and a batch, 64 MiB GDAL's cache"), std::string::npos) << plan.output;
  const double limit_mib = std::ceil(program_mib + 64.0 + 24.0);

  const auto limited = "--max-ram " + std::to_string(static_cast<int>(limit_mib)) + "M --tmpdir " + t::quote(dir / "tmp");
  const auto limited_plan = run("--dry-run " + limited, dir / "x.tif");
  ASSERT_EQ(limited_plan.exit_code, 0) << limited_plan.output;
  EXPECT_NE(limited_plan.output.find("MiB memory-mapped under"), std::string::npos) << limited_plan.output;
  const auto mapped = run(limited, dir / "mapped.tif");
  ASSERT_EQ(mapped.exit_code, 0) << mapped.output;
  struct rusage children {};
  ASSERT_EQ(getrusage(RUSAGE_CHILDREN, &children), 0);
  EXPECT_LE(static_cast<double>(children.ru_maxrss) / 1024.0, limit_mib) << "peak RSS of the runs, MiB";
  ASSERT_EQ(run("", dir / "ram.tif").exit_code, 0);
  EXPECT_EQ(t::file_bytes(dir / "mapped.tif"), t::file_bytes(dir / "ram.tif"));
}

TEST_F(CliStreaming, KilledRunResumesToTheUninterruptedBytes) {
  fs::copy_file(lr, dir / "lr.tif");  // rewritten in place below
  lr = dir / "lr.tif";
  ASSERT_EQ(geosr_run(sr("--steps 12", dir / "whole.tif")).exit_code, 0);
  EXPECT_FALSE(fs::exists(dir / "whole.tif.geosr-checkpoint")) << "a finished run removes its checkpoint";

  const auto out = dir / "killed.tif";
  const auto checkpoint = dir / "killed.tif.geosr-checkpoint";
  const int code = t::interrupt_once_written(kGeosr + " " + sr("--steps 12 --checkpoint-every 2", out), checkpoint, "KILL",
                                                    dir / "killed.log");
  EXPECT_EQ(code, 128 + 9);
  ASSERT_TRUE(fs::exists(checkpoint));
  EXPECT_FALSE(fs::exists(out)) << "no partial output under the output name";

  const auto fresh = geosr_run(sr("--steps 11 --resume", out));
  EXPECT_EQ(fresh.exit_code, 2) << "other settings: " << fresh.output;
  EXPECT_NE(fresh.output.find("steps is 11 but the checkpoint was made with 12"), std::string::npos) << fresh.output;
  // Another value range is another condition, so another run.
  const auto ranged = geosr_run(sr("--steps 12 --in-range 0,200 --resume", out));
  EXPECT_EQ(ranged.exit_code, 2) << ranged.output;
  EXPECT_NE(ranged.output.find("in_range"), std::string::npos) << ranged.output;
  // The input rewritten in place (same name, size and type, other pixels) is another scene.
  const std::string original = t::file_bytes(lr);
  ASSERT_EQ(t::run_command("gdal_translate -q -b 3 -b 2 -b 1 -b 4 " + t::quote(t::samples() / "naip_riverside_2018_0_lr5.tif") +
                           " " + t::quote(lr)).exit_code, 0);
  const auto rewritten = geosr_run(sr("--steps 12 --resume", out));
  EXPECT_EQ(rewritten.exit_code, 2) << rewritten.output;
  EXPECT_NE(rewritten.output.find("input_pixels is"), std::string::npos) << rewritten.output;
  std::ofstream(lr, std::ios::binary | std::ios::trunc) << original;
  // A checkpoint damaged on disk (one flipped bit in the state), or of the digest-less format 1:
  // refused, never resumed into other pixels.
  const std::string saved = t::file_bytes(checkpoint);
  std::string flipped = saved;
  flipped[flipped.size() - 1000] ^= 0x10;
  std::string old_format = saved;
  old_format.replace(0, std::string("GEOSR-CHECKPOINT 2").size(), "GEOSR-CHECKPOINT 1");
  for (const auto& [bytes, expected] : std::vector<std::pair<std::string, std::string>>{
           {flipped, "is corrupt (its state does not match its digest); run again without --resume"},
           {old_format, "is a checkpoint of another geosr version (format 1)"}}) {
    std::ofstream(checkpoint, std::ios::binary | std::ios::trunc) << bytes;
    const auto damaged = geosr_run(sr("--steps 12 --resume", out));
    EXPECT_EQ(damaged.exit_code, 1) << damaged.output;
    EXPECT_NE(damaged.output.find(expected), std::string::npos) << damaged.output;
    EXPECT_FALSE(fs::exists(out));
  }
  std::ofstream(checkpoint, std::ios::binary | std::ios::trunc) << saved;

  // A run killed while writing its output leaves a hidden staging file; the next writer of that
  // output removes it once its process is gone.
  std::ofstream(dir / ".killed.tif.geosr-999999.tmp.tif") << "stale";
  const auto resumed = geosr_run(sr("--steps 12 --checkpoint-every 2 --resume", out));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(t::file_bytes(out), t::file_bytes(dir / "whole.tif"));
  EXPECT_FALSE(fs::exists(checkpoint));
  EXPECT_EQ(t::other_files(dir, {"lr.tif", "whole.tif", "killed.tif", "killed.log"}), std::vector<std::string>{});
}

TEST_F(CliStreaming, SigtermOrHangupSavesTheStateAndResumes) {
  ASSERT_EQ(geosr_run(sr("--steps 12 --seed 3", dir / "whole.tif")).exit_code, 0);
  const auto out = dir / "stopped.tif";
  const auto checkpoint = dir / "stopped.tif.geosr-checkpoint";
  // --checkpoint-every 1 only to know when the run is under way; SIGTERM then saves its own.
  const int code = t::interrupt_once_written(kGeosr + " " + sr("--steps 12 --seed 3 --checkpoint-every 1", out), checkpoint,
                                                    "TERM", dir / "stopped.log");
  EXPECT_EQ(code, 128 + 15);
  const std::string log = t::file_bytes(dir / "stopped.log");
  EXPECT_NE(log.find("interrupted after step"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(out));
  const auto resumed = geosr_run(sr("--steps 12 --seed 3 --resume", out));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(t::file_bytes(out), t::file_bytes(dir / "whole.tif"));

  // A closed terminal stops the run the same way; started under nohup (the hangup ignored), it runs on.
  EXPECT_EQ(t::interrupt_once_written(kGeosr + " " + sr("--steps 12 --seed 3 --checkpoint-every 1", dir / "hung.tif"),
                                             dir / "hung.tif.geosr-checkpoint", "HUP", dir / "hung.log"),
            128 + 1);
  EXPECT_NE(t::file_bytes(dir / "hung.log").find("interrupted after step"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "hung.tif.geosr-checkpoint"));
  EXPECT_FALSE(fs::exists(dir / "hung.tif"));
  EXPECT_EQ(t::interrupt_once_written(kGeosr + " " + sr("--steps 12 --seed 3 --checkpoint-every 1", dir / "nohup.tif"),
                                             dir / "nohup.tif.geosr-checkpoint", "HUP", dir / "nohup.log", "trap '' HUP; "),
            0);
  EXPECT_EQ(t::file_bytes(dir / "nohup.tif"), t::file_bytes(dir / "whole.tif"));

  const auto nothing = geosr_run(sr("--steps 12 --seed 3 --resume", dir / "never.tif"));
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_NE(nothing.output.find("no checkpoint to resume from"), std::string::npos) << nothing.output;
}

TEST_F(CliStreaming, NoDataHoleStaysNoDataAndIsNotComputed) {
  // Real LR pixels (the bundled 51 x 51 NAIP sample, RGB) with a NoData hole over the top-left.
  auto src = t::open_raster(lr);
  std::vector<double> pixels(3 * 51 * 51);
  ASSERT_EQ(src->RasterIO(GF_Read, 0, 0, 51, 51, pixels.data(), 51, 51, GDT_Float64, 3, nullptr, 0, 0, 0), CE_None);
  t::RasterRecipe recipe;
  recipe.width = recipe.height = 51;
  recipe.bands = 3;
  recipe.type = GDT_Byte;
  recipe.nodata = 0;
  recipe.value = [&](int b, int r, int c) {
    return r < 20 && c < 20 ? 0.0 : std::max(1.0, pixels[static_cast<size_t>((b * 51 + r) * 51 + c)]);
  };
  t::write_raster(dir / "hole.tif", recipe);

  const auto plan = geosr_run("sr --dry-run --steps 6 --window 32 --stride 24 " + t::quote(dir / "hole.tif") + " " +
                              t::quote(dir / "x.tif"));
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  // HR rows/cols 0..99 are NoData; windows at origins 0, 24, 48 (footprints up to 79) read LR 0..17.
  EXPECT_NE(plan.output.find("windows per step:    112 of 121"), std::string::npos) << plan.output;

  const auto r = geosr_run(kFast + "--steps 6 " + t::quote(dir / "hole.tif") + " " + t::quote(dir / "sr.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto out = t::open_raster(dir / "sr.tif");
  int has_nodata = 0;
  EXPECT_EQ(out->GetRasterBand(1)->GetNoDataValue(&has_nodata), 0.0);
  EXPECT_TRUE(has_nodata);
  const auto values = t::read_all(out.get());
  ASSERT_EQ(values.size(), 3u * 255 * 255);
  int64_t wrong = 0;
  for (int b = 0; b < 3; ++b)
    for (int y = 0; y < 255; ++y)
      for (int x = 0; x < 255; ++x) {
        const double v = values[static_cast<size_t>((b * 255 + y) * 255 + x)];
        const bool hole = y < 100 && x < 100;
        if (hole != (v == 0.0)) ++wrong;
      }
  EXPECT_EQ(wrong, 0) << "NoData exactly under the hole, valid (never 0) elsewhere";
}

TEST_F(CliStreaming, RealSceneWithNoDataValueKeepsItsGridAndValidity) {
  // naip_5m_nd_20200831.tif declares NoData 0 (all of its pixels happen to be valid); a 40 x 30 crop.
  const auto scene = t::shared_data() / "scenes" / "naip_5m_nd_20200831.tif";
  if (!fs::exists(scene)) GTEST_SKIP() << "needs ../shared/data";
  ASSERT_EQ(t::run_command("gdal_translate -q -srcwin 300 300 40 30 " + t::quote(scene) + " " + t::quote(dir / "crop.tif"))
                .exit_code,
            0);
  const auto r = geosr_run(kFast + "--steps 4 " + t::quote(dir / "crop.tif") + " " + t::quote(dir / "sr.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto out = t::open_raster(dir / "sr.tif");
  EXPECT_EQ(out->GetRasterXSize(), 200);
  EXPECT_EQ(out->GetRasterYSize(), 150);
  int has_nodata = 0;
  EXPECT_EQ(out->GetRasterBand(1)->GetNoDataValue(&has_nodata), 0.0);
  EXPECT_TRUE(has_nodata);
  const auto values = t::read_all(out.get());
  EXPECT_EQ(std::count(values.begin(), values.end(), 0.0), 0) << "valid pixels are never written as NoData";
  EXPECT_EQ(t::cog_problems(dir / "sr.tif"), "");
}

}  // namespace
