// geosr batch as a user runs it: scenes of a real NAIP sample run by local workers, a corrupt file
// reported while the others finish, a rerun that skips what is complete, the Slurm script (checked
// with bash -n, then run as one array task would run it), JSON lists and STAC items, bad input,
// files that cannot be written, the runs' warnings passed on, runs stopped when batch is killed.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <cpl_json.h>
#include <gdal_utils.h>

#include "gdal_fixtures.hpp"
#include "geosr/core/network/safetensors.hpp"

namespace {

namespace t = geosr::test;
namespace fs = std::filesystem;

const std::string kGeosr = GEOSR_BINARY;
t::CommandResult geosr_run(const std::string& args) { return t::run_command(kGeosr + " " + args); }

// Two steps of small windows on 16 x 16 crops: each scene takes a second or two.
const std::string kSrOptions = " -- --steps 2 --window 32 --stride 24";

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class BatchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = t::scratch(::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir / "in");
  }

  // A size x size window of the bundled 51 x 51 LR sample at (x, y).
  fs::path crop(const std::string& name, int x, int y, int size = 16) const {
    const fs::path out = dir / "in" / name;
    auto src = t::open_raster(t::samples() / "naip_riverside_2018_0_lr5.tif");
    const std::string args[] = {"-srcwin", std::to_string(x), std::to_string(y), std::to_string(size), std::to_string(size)};
    CPLStringList list;
    for (const auto& a : args) list.AddString(a.c_str());
    GDALTranslateOptions* options = GDALTranslateOptionsNew(list.List(), nullptr);
    GDALDatasetH written = GDALTranslate(out.c_str(), GDALDataset::ToHandle(src.get()), options, nullptr);
    GDALTranslateOptionsFree(options);
    if (!written) throw std::runtime_error("cannot crop to " + out.string());
    GDALClose(written);
    return out;
  }

  std::string metadata(const fs::path& raster, const char* key) const {
    const char* value = t::open_raster(raster)->GetMetadataItem(key);
    return value ? value : "(none)";
  }

  fs::path dir;
};

TEST_F(BatchCli, CorruptSceneIsReportedOthersFinishAndRerunSkipsThem) {
  crop("a.tif", 0, 0);
  crop("b.tif", 20, 20);
  std::ofstream(dir / "in" / "broken.tif") << "this is not a GeoTIFF, only a few bytes of text";
  const std::string command = "batch --workers 2 " + t::quote(dir / "in") + " " + t::quote(dir / "out");

  const auto first = geosr_run(command + kSrOptions);
  EXPECT_EQ(first.exit_code, 1) << first.output;
  EXPECT_EQ(count(first.output, "] done "), 2u) << first.output;
  EXPECT_NE(first.output.find("3 scenes: 2 done, 0 skipped, 1 failed"), std::string::npos) << first.output;
  const auto failed_line = first.output.find("failed: " + (dir / "in" / "broken.tif").string() + ": ");
  ASSERT_NE(failed_line, std::string::npos) << first.output;
  EXPECT_GT(first.output.find('\n', failed_line) - failed_line, 20u) << "a reason follows: " << first.output;
  for (const char* name : {"a.tif", "b.tif"}) {
    const auto out = dir / "out" / name;
    ASSERT_TRUE(fs::exists(out)) << first.output;
    EXPECT_EQ(t::cog_problems(out), "");
    EXPECT_EQ(t::open_raster(out)->GetRasterXSize(), 80);
    EXPECT_EQ(metadata(out, "GEOSR_METHOD"), "diffusion");
    EXPECT_EQ(metadata(out, "GEOSR_STEPS"), "2");
    EXPECT_EQ(metadata(out, "GEOSR_GRID"), "32,24");
  }
  // Neither an output nor a temporary for the corrupt scene.
  EXPECT_EQ(t::other_files(dir / "out", {"a.tif", "b.tif", "batch_manifest.json", "batch_report.tsv"}),
            std::vector<std::string>{});
  const std::string report = t::file_bytes(dir / "out" / "batch_report.tsv");
  EXPECT_EQ(report.rfind("status\ttask\tinput\toutput\tseconds\treason\n", 0), 0u) << report;
  EXPECT_EQ(count(report, "done\t"), 2u) << report;
  EXPECT_NE(report.find("failed\t2\t" + (dir / "in" / "broken.tif").string()), std::string::npos) << report;

  const auto written = fs::last_write_time(dir / "out" / "a.tif");
  const auto again = geosr_run(command + kSrOptions);
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_NE(again.output.find("3 scenes: 0 done, 2 skipped, 1 failed"), std::string::npos) << again.output;
  EXPECT_EQ(fs::last_write_time(dir / "out" / "a.tif"), written) << "a complete output is not rewritten";
  EXPECT_EQ(count(t::file_bytes(dir / "out" / "batch_report.tsv"), "skipped\t"), 2u);

  // Another seed would write other pixels: the outputs are no longer complete.
  fs::remove(dir / "in" / "broken.tif");
  const auto reseeded = geosr_run(command + kSrOptions + " --seed 7");
  EXPECT_EQ(reseeded.exit_code, 0) << reseeded.output;
  EXPECT_NE(reseeded.output.find("2 scenes: 2 done, 0 skipped, 0 failed"), std::string::npos) << reseeded.output;
  EXPECT_EQ(metadata(dir / "out" / "a.tif", "GEOSR_SEED"), "7");
}

// Each run's output is kept from the terminal; its warnings are not. NAIP bytes stored as UInt16
// fill 0.4 % of that type's range: a flat scene to the model unless --in-range says otherwise.
TEST_F(BatchCli, TheRunsWarningsReachTheUser) {
  const fs::path bytes = crop("bytes.tif", 0, 0);
  ASSERT_EQ(t::run_command("gdal_translate -q -ot UInt16 " + t::quote(bytes) + " " + t::quote(dir / "in" / "wide.tif"))
                .exit_code, 0);
  fs::remove(bytes);
  const std::string command = "batch -q " + t::quote(dir / "in") + " " + t::quote(dir / "out") + kSrOptions;
  const auto warned = geosr_run(command);
  EXPECT_EQ(warned.exit_code, 0) << warned.output;
  EXPECT_NE(warned.output.find("geosr batch: warning: " + (dir / "in" / "wide.tif").string() + ": "), std::string::npos)
      << warned.output;
  EXPECT_NE(warned.output.find("the model sees a flat scene; give --in-range LO,HI"), std::string::npos) << warned.output;
  const auto ranged = geosr_run(command + " --in-range 0,255");
  EXPECT_EQ(ranged.exit_code, 0) << ranged.output;
  EXPECT_EQ(ranged.output.find("warning"), std::string::npos) << ranged.output;
}

// The pids of the `geosr sr` runs writing `output` (their command lines end with it).
std::vector<pid_t> runs_writing(const fs::path& output) {
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    const std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string tail = std::string(1, '\0') + output.string() + '\0';
    if (cmdline.find(std::string(1, '\0') + "sr" + '\0') != std::string::npos && cmdline.size() >= tail.size() &&
        cmdline.compare(cmdline.size() - tail.size(), tail.size(), tail) == 0)
      pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

// A batch killed outright (kill -9, no chance to pass a signal on) does not leave its runs
// computing for no one: each gets a SIGTERM, saves its checkpoint and stops.
TEST_F(BatchCli, RunsStopWhenBatchIsKilled) {
  crop("a.tif", 0, 0);
  const fs::path output = dir / "out" / "a.tif";
  const int code = t::interrupt_once_written(kGeosr + " batch -q " + t::quote(dir / "in") + " " + t::quote(dir / "out") +
                                                 " -- --steps 400 --window 32 --stride 24 --checkpoint-every 1",
                                             dir / "out" / "a.tif.geosr-checkpoint", "KILL", dir / "batch.log");
  EXPECT_EQ(code, 128 + 9);
  std::vector<pid_t> running = runs_writing(output);
  for (int i = 0; i < 600 && !running.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    running = runs_writing(output);
  }
  EXPECT_TRUE(running.empty()) << "the run goes on without its batch";
  for (const pid_t pid : running) ::kill(pid, SIGKILL);
  EXPECT_TRUE(fs::exists(dir / "out" / "a.tif.geosr-checkpoint"));
  EXPECT_FALSE(fs::exists(output));
}

TEST_F(BatchCli, EverySettingThatChangesThePixelsRedoesTheScenes) {
  crop("a.tif", 0, 0);
  // Another model under the bundled model's name, as retraining in place leaves it.
  const fs::path bundled = t::samples() / "models" / "naip-rgb-x5-tiny.safetensors";
  const fs::path retrained = dir / "retrained" / bundled.filename();
  fs::create_directories(retrained.parent_path());
  auto model = geosr::read_safetensors(bundled.string());
  model.metadata["geosr.train.steps"] += "0";
  geosr::write_safetensors(retrained.string(), model.tensors, model.metadata);

  const std::string command = "batch " + t::quote(dir / "in") + " " + t::quote(dir / "out") + kSrOptions;
  ASSERT_EQ(geosr_run(command).exit_code, 0);
  const std::string tags = metadata(dir / "out" / "a.tif", "GEOSR_BANDS") + " " +
                           metadata(dir / "out" / "a.tif", "GEOSR_IN_RANGE") + " " +
                           metadata(dir / "out" / "a.tif", "GEOSR_WEIGHTS");
  EXPECT_EQ(tags, "1,2,3 0,255;0,255;0,255 cone");
  for (const std::string& changed : {" --model " + t::quote(retrained), std::string(" --weights uniform"),
                                     std::string(" -b 3,2,1"), std::string(" --in-range 0,200"),
                                     std::string(" --sampler ddim --eta 0.5")}) {
    const auto redone = geosr_run(command + changed);
    EXPECT_NE(redone.output.find("1 scenes: 1 done, 0 skipped"), std::string::npos) << changed << ": " << redone.output;
    const auto again = geosr_run(command + changed);
    EXPECT_NE(again.output.find("1 scenes: 0 done, 1 skipped"), std::string::npos) << changed << ": " << again.output;
  }
}

TEST_F(BatchCli, SlurmScriptIsValidAndItsArrayTaskRunsOneTask) {
  crop("a.tif", 0, 0);
  crop("b.tif", 20, 20);
  crop("c.tif", 30, 0);
  const auto script = dir / "job.sh";
  const auto manifest = dir / "out" / "batch_manifest.json";
  const auto written = geosr_run("batch --group 2 --slurm " + t::quote(script) +
                                 " --partition gpu --time 00:10:00 --cpus-per-task 2 --mem 4G --gres gpu:1"
                                 " --max-parallel 1 --sbatch=--qos=low " +
                                 t::quote(dir / "in") + " " + t::quote(dir / "out") + kSrOptions);
  ASSERT_EQ(written.exit_code, 0) << written.output;
  EXPECT_EQ(t::other_files(dir / "out", {"batch_manifest.json", "logs"}), std::vector<std::string>{})
      << "--slurm runs nothing";

  const auto syntax = t::run_command("bash -n " + t::quote(script));
  EXPECT_EQ(syntax.exit_code, 0) << syntax.output;
  const std::string text = t::file_bytes(script);
  EXPECT_EQ(text.rfind("#!/bin/bash\n", 0), 0u) << text;
  const std::vector<std::string> lines = {
      "#SBATCH --array=0-1%1\n", "#SBATCH --partition=gpu\n", "#SBATCH --time=00:10:00\n",
      "#SBATCH --cpus-per-task=2\n", "#SBATCH --mem=4G\n", "#SBATCH --gres=gpu:1\n", "#SBATCH --qos=low\n",
      "#SBATCH --job-name=geosr-batch\n", "#SBATCH --output=" + (dir / "out" / "logs").string() + "/%x_%A_%a.log\n",
      "'" + fs::canonical(kGeosr).string() + "' batch --manifest '" + manifest.string() +
          "' --task \"$SLURM_ARRAY_TASK_ID\"\n"};
  for (const auto& line : lines) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing in:\n" << text;
  }

  // Array task 1 holds the third scene only (two scenes a task).
  const auto task = t::run_command("SLURM_ARRAY_TASK_ID=1 bash " + t::quote(script));
  EXPECT_EQ(task.exit_code, 0) << task.output;
  EXPECT_TRUE(fs::exists(dir / "out" / "c.tif")) << task.output;
  EXPECT_FALSE(fs::exists(dir / "out" / "a.tif"));
  EXPECT_FALSE(fs::exists(dir / "out" / "b.tif"));
  const std::string report = t::file_bytes(dir / "out" / "batch_report_task1.tsv");
  EXPECT_EQ(count(report, "\n"), 2u) << report;
  EXPECT_NE(report.find("done\t1\t" + (dir / "in" / "c.tif").string()), std::string::npos) << report;

  const auto beyond = geosr_run("batch --manifest " + t::quote(manifest) + " --task 2");
  EXPECT_EQ(beyond.exit_code, 2) << beyond.output;
  EXPECT_NE(beyond.output.find("--task 2 is out of range: the manifest has tasks 0 .. 1"), std::string::npos)
      << beyond.output;
}

std::vector<std::pair<std::string, std::string>> manifest_scenes(const fs::path& manifest) {
  CPLJSONDocument document;
  if (!document.Load(manifest.string())) return {};
  std::vector<std::pair<std::string, std::string>> scenes;
  for (const auto& task : document.GetRoot().GetArray("tasks"))
    for (const auto& scene : task.GetArray("scenes")) scenes.emplace_back(scene.GetString("input"), scene.GetString("output"));
  return scenes;
}

TEST_F(BatchCli, JsonListsOfHrefsAndStacItems) {
  const auto out = dir / "out";
  std::ofstream(dir / "hrefs.json") << R"(["in/a.tif", "https://example.com/x/a.tif?sig=1", "/data/b.tif"])";
  const auto hrefs = geosr_run("batch -q --slurm " + t::quote(dir / "job.sh") + " " + t::quote(dir / "hrefs.json") +
                               " " + t::quote(out));
  ASSERT_EQ(hrefs.exit_code, 0) << hrefs.output;
  using Scenes = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(manifest_scenes(out / "batch_manifest.json"),
            (Scenes{{(dir / "in" / "a.tif").string(), (out / "a.tif").string()},
                    {"/vsicurl/https://example.com/x/a.tif?sig=1", (out / "a_2.tif").string()},
                    {"/data/b.tif", (out / "b.tif").string()}}));

  std::ofstream(dir / "items.json") << R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "id": "scene-one", "assets": {
       "thumbnail": {"href": "one.png", "type": "image/png", "roles": ["thumbnail"]},
       "visual": {"href": "one.tif", "type": "image/tiff; application=geotiff; profile=cloud-optimized"}}},
    {"type": "Feature", "id": "scene-two", "assets": {
       "thumbnail": {"href": "two.png", "type": "image/png"},
       "data": {"href": "s3://bucket/two.tif", "roles": ["data"]}}}]})";
  const std::string items = "batch -q --slurm " + t::quote(dir / "job.sh") + " " + t::quote(dir / "items.json") + " ";
  ASSERT_EQ(geosr_run(items + t::quote(out)).exit_code, 0);
  EXPECT_EQ(manifest_scenes(out / "batch_manifest.json"),
            (Scenes{{(dir / "one.tif").string(), (out / "scene-one.tif").string()},
                    {"/vsis3/bucket/two.tif", (out / "scene-two.tif").string()}}));
  ASSERT_EQ(geosr_run(items + "--asset thumbnail " + t::quote(out)).exit_code, 0);
  EXPECT_EQ(manifest_scenes(out / "batch_manifest.json")[1].first, (dir / "two.png").string());
  // A list named by a relative path still gives absolute inputs: the manifest is read from elsewhere.
  const auto relative = t::run_command("cd " + t::quote(dir.parent_path()) + " && " + kGeosr + " batch -q --slurm " +
                                       t::quote(dir / "job.sh") + " " + t::quote(dir.filename() / "items.json") + " " +
                                       t::quote(out));
  ASSERT_EQ(relative.exit_code, 0) << relative.output;
  EXPECT_EQ(manifest_scenes(out / "batch_manifest.json")[0].first, (dir / "one.tif").string());
  const auto missing = geosr_run(items + "--asset nir " + t::quote(out));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("item 'scene-one' has no asset 'nir'"), std::string::npos) << missing.output;
}

TEST_F(BatchCli, BadInputGivesOneLineErrors) {
  crop("a.tif", 0, 0);
  fs::create_directories(dir / "empty");
  std::ofstream(dir / "file") << "x";
  std::ofstream(dir / "corrupt.json") << R"({"geosr_batch_manifest": 1, "outdir": "/tmp", "tasks": [)";
  const std::string in = " " + t::quote(dir / "in") + " ";
  const std::pair<std::string, std::pair<int, std::string>> cases[] = {
      {"batch " + t::quote(dir / "nothing") + " " + t::quote(dir / "out"), {1, "input does not exist"}},
      {"batch " + t::quote(dir / "empty") + " " + t::quote(dir / "out"), {1, "no rasters found"}},
      {"batch" + in + t::quote(dir / "file" / "out"), {1, "cannot create OUTDIR"}},
      {"batch --workers 0" + in + t::quote(dir / "out"), {2, "--workers must be at least 1"}},
      {"batch --workers 2 --task 0" + in + t::quote(dir / "out"), {2, "give --workers or --task, not both"}},
      {"batch --partition gpu" + in + t::quote(dir / "out"), {2, "--partition applies to the script --slurm writes"}},
      {"batch" + in + t::quote(dir / "out") + " -- --overwrite", {2, "leave -q, --overwrite"}},
      {"batch" + in + t::quote(dir / "out") + " -- --steps 0", {2, "steps must be 1 .."}},
      {"batch" + in + t::quote(dir / "out") + " -- -of PNG", {2, "leave -of PNG out of the sr options"}},
      {"batch" + in, {2, "missing OUTDIR"}},
      {"batch --manifest " + t::quote(dir / "corrupt.json"), {1, "is corrupt"}},
      {"batch --manifest " + t::quote(dir / "absent.json"), {1, "manifest does not exist"}},
      // The files batch writes never replace a scene or a file that is not batch's own.
      {"batch --manifest " + t::quote(dir / "in" / "a.tif") + in + t::quote(dir / "out"), {2, "is the input"}},
      {"batch --manifest " + t::quote(dir / "file") + in + t::quote(dir / "out"), {2, "is not a geosr batch manifest"}},
      {"batch --slurm " + t::quote(dir / "file") + in + t::quote(dir / "out"), {2, "is not a Slurm script of geosr batch"}},
      {"batch --slurm " + t::quote(dir / "empty") + in + t::quote(dir / "out"), {2, "is a directory"}},
      // What sbatch would refuse only at submission, after the script was written and copied.
      {"batch --slurm " + t::quote(dir / "job.sh") + " --mem abc" + in + t::quote(dir / "out"), {2, "--mem takes a size"}},
      {"batch --slurm " + t::quote(dir / "job.sh") + " --time forever" + in + t::quote(dir / "out"), {2, "--time takes"}},
      {"batch --slurm " + t::quote(dir / "job.sh") + " --gpus-per-task -2" + in + t::quote(dir / "out"),
       {2, "--gpus-per-task takes a count"}},
      {"batch --slurm " + t::quote(dir / "job.sh") + " --cpus-per-task 0" + in + t::quote(dir / "out"),
       {2, "--cpus-per-task must be at least 1"}},
      {"batch --slurm " + t::quote(dir / "job.sh") + " --max-parallel 0" + in + t::quote(dir / "out"),
       {2, "--max-parallel must be at least 1"}},
      {"batch --slurm " + t::quote(dir / "job.sh") + in + t::quote(dir / "out dir"), {2, "holds blanks or quotes"}},
      {"batch --task 5" + in + t::quote(dir / "out"), {2, "--task 5 is out of range: the manifest has tasks 0 .. 0"}},
      {"batch" + in + t::quote(dir / "file"), {2, "OUTDIR " + (dir / "file").string() + " is not a directory"}},
  };
  for (const auto& [args, expected] : cases) {
    const auto r = geosr_run(args);
    EXPECT_EQ(r.exit_code, expected.first) << args << "\n" << r.output;
    EXPECT_NE(r.output.find("geosr batch: error: "), std::string::npos) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(expected.second), std::string::npos) << args << "\n" << r.output;
    EXPECT_EQ(count(r.output, "\n"), 1u) << "one line: " << args << "\n" << r.output;
  }
  EXPECT_FALSE(fs::exists(dir / "out")) << "a refused call creates no OUTDIR and writes no manifest";
  EXPECT_FALSE(fs::exists(dir / "job.sh")) << "nor a script";
  EXPECT_FALSE(fs::exists(dir / "out dir")) << "an OUTDIR the script cannot name is not created";
  std::ifstream file(dir / "file");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>()), "x");
  EXPECT_NE(t::open_raster(dir / "in" / "a.tif"), nullptr) << "the scene is still a raster";
}

TEST_F(BatchCli, FilesThatCannotBeWrittenAreErrorsNotEmptyFiles) {
  // A file-size limit of 0 fails every write, as a full disk does: each of the files batch writes
  // itself is reported, and none is left empty or truncated.
  crop("a.tif", 0, 0);
  const std::string no_space = "ulimit -f 0; " + kGeosr + " batch ";
  const auto manifest = dir / "out" / "batch_manifest.json";
  const auto expect_error = [](const t::CommandResult& r, const fs::path& file) {
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("geosr batch: error: cannot write " + file.string()), std::string::npos) << r.output;
    EXPECT_EQ(count(r.output, "\n"), 1u) << r.output;
    EXPECT_FALSE(fs::exists(file)) << r.output;
  };
  const std::string in_out = t::quote(dir / "in") + " " + t::quote(dir / "out") + kSrOptions;
  expect_error(t::run_command(no_space + "--slurm " + t::quote(dir / "job.sh") + " " + in_out), manifest);
  EXPECT_FALSE(fs::exists(dir / "job.sh"));

  ASSERT_EQ(geosr_run("batch -q --slurm " + t::quote(dir / "job.sh") + " " + in_out).exit_code, 0);
  expect_error(t::run_command(no_space + "--manifest " + t::quote(manifest) + " --slurm " + t::quote(dir / "job2.sh")),
               dir / "job2.sh");
  // The scene fails to be written, and so does the report of it.
  const auto run = t::run_command(no_space + "--manifest " + t::quote(manifest));
  EXPECT_NE(run.output.find("] failed " + (dir / "in" / "a.tif").string()), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("error: cannot write " + (dir / "out" / "batch_report.tsv").string()), std::string::npos)
      << run.output;
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(t::other_files(dir / "out", {"batch_manifest.json", "logs"}), std::vector<std::string>{});
}

TEST_F(BatchCli, HandWrittenManifestPathsAreRelativeToIt) {
  // Array tasks start wherever Slurm starts them; a manifest written by hand beside its data
  // means its own directory, not the working directory of the run.
  crop("a.tif", 0, 0);
  fs::create_directories(dir / "job");
  std::ofstream(dir / "job" / "m.json") << R"({"geosr_batch_manifest": 1, "outdir": "out",
      "sr_options": ["--steps", "2", "--window", "32", "--stride", "24"],
      "tasks": [{"index": 0, "scenes": [{"input": "../in/a.tif", "output": "out/a_sr.tif"}]}]})";
  const auto r = t::run_command("cd / && " + kGeosr + " batch -q --manifest " + t::quote(dir / "job" / "m.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(t::open_raster(dir / "job" / "out" / "a_sr.tif")->GetRasterXSize(), 16 * 5);
  EXPECT_TRUE(fs::exists(dir / "job" / "out" / "batch_report.tsv"));
  // Two scenes of one output (in two array tasks: at once), or a scene that writes another's input.
  crop("b.tif", 20, 20);
  const std::string head = R"({"geosr_batch_manifest": 1, "outdir": "out", "sr_options": ["--steps", "2"], "tasks": [)";
  std::ofstream(dir / "job" / "same.json")
      << head << R"({"index": 0, "scenes": [{"input": "../in/a.tif", "output": "out/x.tif"}]},
                    {"index": 1, "scenes": [{"input": "../in/b.tif", "output": "out/./x.tif"}]}]})";
  std::ofstream(dir / "job" / "png.json")
      << head << R"({"index": 0, "scenes": [{"input": "../in/a.tif", "output": "out/a.png"}]}]})";
  std::ofstream(dir / "job" / "chain.json")
      << head << R"({"index": 0, "scenes": [{"input": "../in/a.tif", "output": "../in/b.tif"},
                                            {"input": "../in/b.tif", "output": "out/b.tif"}]}]})";
  for (const auto& [manifest, reason] : {std::pair{"same.json", "have the same output " + (dir / "job" / "out" / "x.tif").string()},
                                         std::pair{"chain.json", (dir / "in" / "b.tif").string() + " is both an input and an output"},
                                         std::pair{"png.json", std::string("is no .tif: geosr batch writes COGs")}}) {
    const auto refused = geosr_run("batch -q --manifest " + t::quote(dir / "job" / manifest));
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_NE(refused.output.find(reason), std::string::npos) << refused.output;
  }
  EXPECT_FALSE(fs::exists(dir / "job" / "out" / "x.tif"));
  EXPECT_FALSE(fs::exists(dir / "job" / "out" / "b.tif"));
}

}  // namespace
