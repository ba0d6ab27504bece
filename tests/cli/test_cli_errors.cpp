// Every bad input of the CLI: non-zero exit, one clear line on stderr, no output file (not even a
// partial or temporary one), and the input bytes unchanged.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "gdal_fixtures.hpp"

namespace {

namespace t = geosr::test;

std::string geosr_cmd(const std::string& args) { return std::string(GEOSR_BINARY) + " " + args; }

struct Failure {
  int exit_code;
  std::string output;
};

// Runs `args` after the shell commands `limits` (ulimit), checks the failure contract and returns
// what happened.
Failure expect_failure(const std::string& args, const std::filesystem::path& dir, const std::filesystem::path& input,
                       const std::string& command, const std::vector<std::string>& keep,
                       const std::string& limits = "") {
  const std::string before = std::filesystem::is_regular_file(input) ? t::file_bytes(input) : "";
  const auto result = t::run_command(limits + geosr_cmd(args));
  EXPECT_NE(result.exit_code, 0) << args << "\n" << result.output;
  const std::string prefix = "geosr " + command + ": error: ";
  EXPECT_EQ(result.output.rfind(prefix, 0), 0u) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  if (std::filesystem::is_directory(dir)) EXPECT_EQ(t::other_files(dir, keep), std::vector<std::string>{}) << args;
  if (std::filesystem::is_regular_file(input)) EXPECT_EQ(t::file_bytes(input), before) << "input changed: " << args;
  return {result.exit_code, result.output};
}

class CliErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = t::scratch(::testing::UnitTest::GetInstance()->current_test_info()->name());
    input = dir / "in.tif";
    std::filesystem::copy_file(t::samples() / "naip_riverside_2018_0.tif", input);
  }
  // Bicubic: the errors under test are the I/O layer's, not the model's.
  std::string sr(const std::string& options, const std::filesystem::path& src) const {
    return any_sr("--method bicubic " + options, src);
  }
  std::string any_sr(const std::string& options, const std::filesystem::path& src) const {
    return "sr -q " + options + " " + t::quote(src) + " " + t::quote(dir / "out.tif");
  }
  std::filesystem::path dir, input;
};

TEST_F(CliErrors, MissingFile) {
  const auto f = expect_failure(sr("--scale 2", dir / "nope.tif"), dir, input, "sr", {"in.tif"});
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_NE(f.output.find("no such file"), std::string::npos) << f.output;
}

TEST_F(CliErrors, UnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: chmod 000 does not stop reading (see UnreadableDirectory)";
  std::filesystem::permissions(input, std::filesystem::perms::none);
  const auto f = expect_failure(sr("--scale 2", input), dir, "", "sr", {"in.tif"});
  std::filesystem::permissions(input, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_NE(f.output.find("ermission"), std::string::npos) << f.output;
}

TEST_F(CliErrors, UnreadableDirectoryInsteadOfFile) {
  std::filesystem::create_directory(dir / "folder.tif");
  const auto f = expect_failure(sr("--scale 2", dir / "folder.tif"), dir, input, "sr", {"in.tif", "folder.tif"});
  EXPECT_NE(f.output.find("directory"), std::string::npos) << f.output;
}

TEST_F(CliErrors, NotARaster) {
  std::ofstream(dir / "notes.txt") << "hello, not a raster\n";
  const auto f = expect_failure(sr("--scale 2", dir / "notes.txt"), dir, dir / "notes.txt", "sr", {"in.tif", "notes.txt"});
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_NE(f.output.find("notes.txt"), std::string::npos) << f.output;
}

TEST_F(CliErrors, TruncatedTiff) {
  const auto bytes = t::file_bytes(t::shared_data() / "odd" / "landsat7_rgb_300m.tif");
  std::ofstream(dir / "cut.tif", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_failure(sr("--scale 2", dir / "cut.tif"), dir, dir / "cut.tif", "sr", {"in.tif", "cut.tif"});
}

TEST_F(CliErrors, BandOutOfRange) {
  const auto f = expect_failure(sr("--scale 2 -b 5", input), dir, input, "sr", {"in.tif"});
  EXPECT_NE(f.output.find("band 5"), std::string::npos) << f.output;
  expect_failure(sr("--scale 2 -b 0", input), dir, input, "sr", {"in.tif"});
  const auto empty = expect_failure(sr("--scale 2 -b 1,,2", input), dir, input, "sr", {"in.tif"});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.output.find("-b: empty item in '1,,2'"), std::string::npos) << empty.output;
}

TEST_F(CliErrors, ScaleNotAboveOneOrAbsurd) {
  for (const char* scale : {"1", "0.5", "-2", "0", "1000", "nan"}) {
    const auto f = expect_failure(sr(std::string("--scale ") + scale, input), dir, input, "sr", {"in.tif"});
    EXPECT_EQ(f.exit_code, 2) << scale << ": " << f.output;
  }
  // Too large for GDAL: an output side over 2^31 - 1 pixels.
  std::ofstream(dir / "wide.vrt") << "<VRTDataset rasterXSize=\"30000000\" rasterYSize=\"1\">"
                                      "<VRTRasterBand dataType=\"Byte\" band=\"1\"/></VRTDataset>";
  const auto f = expect_failure(sr("--scale 99", dir / "wide.vrt"), dir, dir / "wide.vrt", "sr", {"in.tif", "wide.vrt"});
  EXPECT_NE(f.output.find("2147483647"), std::string::npos) << f.output;
  for (const char* scale : {"1", "2.5", "0"}) {
    const auto d = expect_failure("degrade -q --scale " + std::string(scale) + " " + t::quote(input) + " " +
                                      t::quote(dir / "out.tif"),
                                  dir, input, "degrade", {"in.tif", "wide.vrt"});
    EXPECT_EQ(d.exit_code, 2) << d.output;
  }
}

TEST_F(CliErrors, OutputExistsWithoutOverwrite) {
  std::ofstream(dir / "out.tif") << "previous result";
  const auto f = expect_failure(sr("--scale 2", input), dir, input, "sr", {"in.tif", "out.tif"});
  EXPECT_NE(f.output.find("--overwrite"), std::string::npos) << f.output;
  EXPECT_EQ(t::file_bytes(dir / "out.tif"), "previous result");
  const auto ok = t::run_command(geosr_cmd(sr("--scale 2 --overwrite", input)));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(t::cog_problems(dir / "out.tif"), "");
}

TEST_F(CliErrors, OutputDirectoryNotWritable) {
  const std::string missing = "sr -q --method bicubic --scale 2 " + t::quote(input) + " " + t::quote(dir / "no" / "such" / "out.tif");
  auto f = expect_failure(missing, dir, input, "sr", {"in.tif"});
  EXPECT_NE(f.output.find("does not exist"), std::string::npos) << f.output;
  const std::string file_as_dir = "sr -q --method bicubic --scale 2 " + t::quote(input) + " " + t::quote(input / "out.tif");
  expect_failure(file_as_dir, dir, input, "sr", {"in.tif"});
}

TEST_F(CliErrors, OutputIsTheInput) {
  expect_failure("sr -q --method bicubic --overwrite --scale 2 " + t::quote(input) + " " + t::quote(input), dir, input, "sr", {"in.tif"});
  // A VRT written over its own source would read itself.
  const auto vrt = expect_failure("vrt -q --overwrite " + t::quote(input) + " " + t::quote(input), dir, input, "vrt", {"in.tif"});
  EXPECT_EQ(vrt.exit_code, 2) << vrt.output;
}

TEST_F(CliErrors, InterruptedBicubicLeavesNothing) {
  // SIGTERM once the writer's hidden staging file exists, i.e. in the middle of the blocks.
  const std::string run = geosr_cmd(sr("--scale 16", input));
  const std::string script = "( " + run + " >" + t::quote(dir / "log") + " 2>&1 & pid=$!; i=0; while ! ls " +
                             t::quote(dir) + "/.out.tif.geosr-* >/dev/null 2>&1 && [ $i -lt 1200 ]; do sleep 0.01; " +
                             "i=$((i+1)); done; kill -TERM $pid; wait $pid; echo \"exit=$?\" )";
  const auto r = t::run_command(script);
  EXPECT_NE(r.output.find("exit=143"), std::string::npos) << r.output;
  EXPECT_EQ(t::other_files(dir, {"in.tif", "log"}), std::vector<std::string>{});
  std::ifstream log(dir / "log");
  const std::string said((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(said, "geosr sr: interrupted; " + (dir / "out.tif").string() + " was not written\n");
}

TEST_F(CliErrors, FileSizeLimitIsAnErrorNotAKill) {
  // `ulimit -f 100` is 50 KiB in dash's 512-byte blocks (100 KiB in bash's): below the 510 x 510
  // output COG and the diffusion run's 762 KiB memory-mapped canvas arrays.
  const std::string limit = "ulimit -f 100; ";
  auto f = expect_failure(sr("--scale 2", input), dir, input, "sr", {"in.tif"}, limit);
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_NE(f.output.find("File too large"), std::string::npos) << f.output;

  std::filesystem::create_directories(dir / "tmp");
  const auto lr = t::samples() / "naip_riverside_2018_0_lr5.tif";
  f = expect_failure(any_sr("--steps 1 --window 32 --stride 24 --config GEOSR_CANVAS_RAM 1M --tmpdir " + t::quote(dir / "tmp"), lr),
                     dir, lr, "sr", {"in.tif", "tmp"}, limit);
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_NE(f.output.find("cannot reserve"), std::string::npos) << f.output;
  EXPECT_TRUE(std::filesystem::is_empty(dir / "tmp")) << "no canvas file left";
}

TEST_F(CliErrors, AReportToAFullDiskIsAnError) {
  // /dev/full fails every write with ENOSPC, as a full disk does; a shell redirection of a report
  // there must not end as an empty file and exit 0.
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  for (const auto& [args, command] : std::vector<std::pair<std::string, std::string>>{
           {"info " + t::quote(input), "info"},
           {"sr --dry-run --steps 2 " + t::quote(input) + " " + t::quote(dir / "out.tif"), "sr"},  // the estimate
           {"--version", ""}}) {
    const auto result = t::run_command("{ " + geosr_cmd(args) + " > /dev/full; }");
    EXPECT_EQ(result.exit_code, 1) << args << "\n" << result.output;
    EXPECT_EQ(result.output, (command.empty() ? "geosr" : "geosr " + command) + ": error: cannot write the standard output\n")
        << args;
  }
  EXPECT_EQ(t::other_files(dir, {"in.tif"}), std::vector<std::string>{}) << "a dry run writes nothing";
}

TEST_F(CliErrors, AllNoDataInput) {
  t::RasterRecipe recipe;
  recipe.type = GDT_Byte;
  recipe.bands = 3;  // the bundled model's, so that the dry run gets as far as the pixels
  recipe.nodata = 0.0;
  recipe.value = [](int, int, int) { return 0.0; };
  write_raster(dir / "empty.tif", recipe);
  const auto f = expect_failure(sr("--scale 2", dir / "empty.tif"), dir, dir / "empty.tif", "sr", {"in.tif", "empty.tif"});
  EXPECT_NE(f.output.find("no valid pixels"), std::string::npos) << f.output;
  // A dry run refuses it as the run does, rather than planning a job that cannot run.
  const auto dry = expect_failure(any_sr("--dry-run --steps 2", dir / "empty.tif"), dir, dir / "empty.tif", "sr",
                                  {"in.tif", "empty.tif"});
  EXPECT_NE(dry.output.find("no valid pixels"), std::string::npos) << dry.output;
  const auto bicubic_dry = expect_failure(sr("--scale 2 --dry-run", dir / "empty.tif"), dir, dir / "empty.tif", "sr",
                                          {"in.tif", "empty.tif"});
  EXPECT_NE(bicubic_dry.output.find("no valid pixels"), std::string::npos) << bicubic_dry.output;
}

TEST_F(CliErrors, UsageErrors) {
  EXPECT_EQ(t::run_command(geosr_cmd("")).exit_code, 2);
  EXPECT_EQ(t::run_command(geosr_cmd("frobnicate a b")).exit_code, 2);
  for (const std::string& args : {sr("--scale 2 --bogus", input), sr("", input), sr("--scale 2 --tr 1 1", input),
                                  sr("--scale 2 -tr 1 1", input), sr("--tr=1", input),
                                  any_sr("--scale 2 --method nearest", input),
                                  sr("--scale 2 --in-range 5,1", input), sr("--scale 2 -co NOEQUALS", input),
                                  sr("--scale 2 -co COMPRESS=NOPE", input), sr("--scale 2 -co FOO=BAR", input),
                                  sr("--scale 2 -co BLOCKSIZE=7", input), sr("--scale 2 -b \"\"", input),
                                  sr("--scale 1.0000001", input), any_sr("--steps 1 --split-halo -1", input),
                                  std::string("sr -q --method bicubic --scale 2 ") + t::quote(input)}) {
    const auto f = expect_failure(args, dir, input, "sr", {"in.tif"});
    EXPECT_EQ(f.exit_code, 2) << args << ": " << f.output;
  }
}

TEST_F(CliErrors, DiffusionRefusesMissingModelAndBadOptions) {
  const auto missing = expect_failure(any_sr("--method diffusion --model " + t::quote(dir / "nope.safetensors"), input),
                                      dir, input, "sr", {"in.tif"});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("nope.safetensors"), std::string::npos) << missing.output;
  for (const std::string& options : {"--method diffusion --device tpu", "--method diffusion --steps 0",
                                     "--method diffusion --scale 2.5", "--method diffusion --tr 1 1", "-tr 1 1",
                                     "--max-ram 0", "--max-ram lots", "--checkpoint-every -1"}) {
    const auto f = expect_failure(any_sr(options, input), dir, input, "sr", {"in.tif"});
    EXPECT_NE(f.exit_code, 0) << options;
  }
  // Values Boost or a default would have taken silently.
  // A split part of 0 (a Slurm array's 0-based id) had run the whole scene, a window far beyond the
  // 1280-px output run out of memory, a malformed device looked like a missing GPU.
  for (const std::string& options : {"--window -128", "--stride -5", "--seed -1", "--sampler ddim --eta -1",
                                     "--sampler ddim --eta nan", "--eta 0.5", "--max-ram -5G",
                                     "--lr-consistency 1.5", "--lr-consistency -0.1", "--lr-consistency nan",
                                     "--split-rows 2 --split-part 0", "--split-rows -1", "--split-rows 0",
                                     "--window 2048", "--device cuda:abc", "--device cuda:-1",
                                     "--in-range 0,255,0,255", "--fusion none --stride 64", "--max-device-mem 1G"}) {
    const auto f = expect_failure(any_sr("--steps 2 " + options, input), dir, input, "sr", {"in.tif"});
    EXPECT_EQ(f.exit_code, 2) << options << ": " << f.output;
  }
  // A --tmpdir that cannot hold the canvas is refused even when the canvas would fit in RAM.
  for (const std::string& tmpdir : {(dir / "absent").string(), input.string()}) {
    const auto f = expect_failure(any_sr("--steps 2 --dry-run --tmpdir " + t::quote(tmpdir), input), dir, input, "sr",
                                  {"in.tif"});
    EXPECT_NE(f.output.find("--tmpdir " + tmpdir + " is not a directory"), std::string::npos) << f.output;
  }
  const auto folder = expect_failure(any_sr("--model " + t::quote(dir), input), dir, input, "sr", {"in.tif"});
  EXPECT_NE(folder.output.find(dir.string() + " is a directory, not a model file"), std::string::npos) << folder.output;
  const auto echoed = expect_failure(any_sr("--max-device-mem junk", input), dir, input, "sr", {"in.tif"});
  EXPECT_NE(echoed.output.find("'junk'"), std::string::npos) << echoed.output;
}

TEST_F(CliErrors, DryRunRefusesWhatTheRunRefuses) {
  std::ofstream(dir / "out.tif") << "previous result";
  for (const std::string& method : {"--method bicubic --scale 2", "--steps 2"}) {
    const auto exists = expect_failure(any_sr("--dry-run " + method, input), dir, input, "sr", {"in.tif", "out.tif"});
    EXPECT_NE(exists.output.find("--overwrite"), std::string::npos) << exists.output;
  }
  const auto resume = expect_failure(any_sr("--dry-run --steps 2 --overwrite --resume", input), dir, input, "sr",
                                     {"in.tif", "out.tif"});
  EXPECT_NE(resume.output.find("no checkpoint"), std::string::npos) << resume.output;
  EXPECT_EQ(t::file_bytes(dir / "out.tif"), "previous result");
  // And with nothing to refuse, bicubic's dry run too prints the output and writes nothing.
  const auto plan = t::run_command(geosr_cmd(sr("--dry-run --scale 3 --overwrite", input)));
  EXPECT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_NE(plan.output.find("768 x 768 x 4 (bicubic, scale 3)"), std::string::npos) << plan.output;
  EXPECT_EQ(t::file_bytes(dir / "out.tif"), "previous result");
  EXPECT_EQ(t::other_files(dir, {"in.tif", "out.tif"}), std::vector<std::string>{});
}

TEST_F(CliErrors, OutputsThatAreNotPlainFilesOrAreInputs) {
  // Renamed into place, the output would replace a device, a pipe or a link instead of writing through it.
  ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0644), 0);
  std::filesystem::create_symlink(t::samples() / "naip_riverside_2018_1.tif", dir / "link.tif");
  for (const auto& [target, reason] : std::vector<std::pair<std::string, std::string>>{
           {"pipe", "not a regular file"}, {"link.tif", "symbolic link"}}) {
    const auto f = expect_failure("sr -q --method bicubic --scale 2 --overwrite " + t::quote(input) + " " +
                                      t::quote(dir / target),
                                  dir, input, "sr", {"in.tif", "pipe", "link.tif"});
    EXPECT_NE(f.output.find(reason), std::string::npos) << f.output;
  }
  EXPECT_TRUE(std::filesystem::is_fifo(dir / "pipe"));
  EXPECT_TRUE(std::filesystem::is_symlink(dir / "link.tif"));
  // The model is an input too, named or from $GEOSR_MODEL.
  std::filesystem::copy_file(t::samples() / "models" / "naip-rgb-x5-tiny.safetensors", dir / "m.safetensors");
  const auto model = expect_failure("sr -q --steps 1 --overwrite --model " + t::quote(dir / "m.safetensors") + " " +
                                        t::quote(input) + " " + t::quote(dir / "m.safetensors"),
                                    dir, dir / "m.safetensors", "sr", {"in.tif", "pipe", "link.tif", "m.safetensors"});
  EXPECT_EQ(model.exit_code, 2) << model.output;
  // So is geosr vrt's, which a VRT under its name would replace (and then name).
  std::filesystem::copy_file(dir / "m.safetensors", dir / "m.vrt");
  const auto vrt = expect_failure("vrt -q --steps 1 --overwrite --model " + t::quote(dir / "m.vrt") + " " + t::quote(input) +
                                      " " + t::quote(dir / "m.vrt"),
                                  dir, dir / "m.vrt", "vrt", {"in.tif", "pipe", "link.tif", "m.safetensors", "m.vrt"});
  EXPECT_EQ(vrt.exit_code, 2) << vrt.output;
  EXPECT_EQ(t::file_bytes(dir / "m.vrt"), t::file_bytes(dir / "m.safetensors"));
}

TEST_F(CliErrors, BicubicRefusesDiffusionOptionsAndChecksLikeTheRun) {
  // Ignored, --resume would have written a bicubic result over a diffusion run's checkpointed DST.
  for (const std::string& option : {"--resume", "--steps 4", "--split-rows 2 --split-part 1", "--seed 3"}) {
    const auto f = expect_failure(sr("--scale 2 " + option, input), dir, input, "sr", {"in.tif"});
    EXPECT_EQ(f.exit_code, 2) << f.output;
    EXPECT_NE(f.output.find("applies to --method diffusion, not bicubic"), std::string::npos) << f.output;
  }
  // The value rule maps to the model's range and back: bicubic and area averaging would ignore it.
  const auto ranged = expect_failure(sr("--scale 2 --in-range 0,200", input), dir, input, "sr", {"in.tif"});
  EXPECT_NE(ranged.output.find("--in-range applies to --method diffusion"), std::string::npos) << ranged.output;
  const auto degraded = expect_failure("degrade -q --in-range 0,200 " + t::quote(input) + " " + t::quote(dir / "lr.tif"),
                                       dir, input, "degrade", {"in.tif"});
  EXPECT_EQ(degraded.exit_code, 2) << degraded.output;
  // The dry run refuses what the run refuses: options the output type cannot take.
  const auto predictor = expect_failure(sr("--scale 2 --dry-run -co PREDICTOR=3", input), dir, input, "sr", {"in.tif"});
  EXPECT_NE(predictor.output.find("cannot write a Byte output of 4 bands as COG with these -co: PREDICTOR=3"),
            std::string::npos)
      << predictor.output;
  // A lossy compression would move pixels to and from the NoData value.
  const auto landsat = dir / "landsat.tif";
  ASSERT_EQ(t::run_command("gdal_translate -q -srcwin 150 10 24 24 " +
                           t::quote(t::shared_data() / "odd" / "landsat7_rgb_300m.tif") + " " + t::quote(landsat))
                .exit_code, 0);
  for (const std::string& method : {"--method bicubic --scale 2", "--steps 1"}) {
    const auto jpeg = expect_failure(any_sr(method + " -co COMPRESS=JPEG", landsat), dir, landsat, "sr",
                                     {"in.tif", "landsat.tif"});
    EXPECT_NE(jpeg.output.find("COMPRESS=JPEG is lossy and the output has a NoData value"), std::string::npos)
        << jpeg.output;
  }
}

TEST_F(CliErrors, OutputsNoFormatCanHoldAreRefusedBeforeTheWork) {
  const auto floats = dir / "floats.tif";
  std::filesystem::copy_file(t::shared_data() / "odd" / "s2like_float64_epsg4326.tif", floats);
  const std::string bicubic = "sr -q --method bicubic --scale 2 ";
  const std::pair<std::string, std::string> cases[] = {
      {bicubic + "-of MEM " + t::quote(input) + " " + t::quote(dir / "out.tif"), "cannot write MEM"},
      {bicubic + "-of NoSuch " + t::quote(input) + " " + t::quote(dir / "out.tif"), "-of NoSuch: GDAL has no such"},
      {bicubic + t::quote(input) + " " + t::quote(dir / "out.vrt"), "geosr vrt writes a VRT"},
      {bicubic + t::quote(input) + " " + t::quote(dir / "out.grd"), "choose one with -of"},
      {bicubic + "-co COMPRESS=ZSTD " + t::quote(input) + " " + t::quote(dir / "out.png"), "does not support creation option"},
      // Found by the driver, before any computation: diffusion would only fail after denoising.
      {bicubic + t::quote(floats) + " " + t::quote(dir / "out.png"), "cannot write a Float64 output of 4 bands as PNG"},
      {"sr -q --steps 1 " + t::quote(floats) + " " + t::quote(dir / "out.png"), "as PNG"},
      {bicubic + "-co COMPRESS=JPEG " + t::quote(floats) + " " + t::quote(dir / "out.tif"), "as COG with these -co"},
  };
  for (const auto& [args, reason] : cases) {
    const auto f = expect_failure(args, dir, input, "sr", {"in.tif", "floats.tif"});
    EXPECT_EQ(f.exit_code, 2) << args << "\n" << f.output;
    EXPECT_NE(f.output.find(reason), std::string::npos) << args << "\n" << f.output;
  }
}

TEST_F(CliErrors, HelpIsUseful) {
  const auto top = t::run_command(geosr_cmd("--help"));
  EXPECT_EQ(top.exit_code, 0);
  for (const char* word : {"info", "degrade", "sr"}) EXPECT_NE(top.output.find(word), std::string::npos);
  const auto sr_help = t::run_command(geosr_cmd("sr --help"));
  EXPECT_EQ(sr_help.exit_code, 0);
  for (const char* word : {"--scale", "--tr", "--method", "-of", "-co", "--overwrite", "--in-range"}) {
    EXPECT_NE(sr_help.output.find(word), std::string::npos) << word;
  }
  // GDAL-style short options appear as they are typed.
  for (const char* typed : {"\n  -b BAND ", "\n  -co NAME=VALUE ", "\n  -q "})
    EXPECT_NE(sr_help.output.find(typed), std::string::npos) << typed << sr_help.output;
  for (const char* boost_form : {"--b ", "--co ", "--q "})
    EXPECT_EQ(sr_help.output.find(boost_form), std::string::npos) << boost_form;
}

}  // namespace
