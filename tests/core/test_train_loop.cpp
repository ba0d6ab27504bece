// Training on the bundled chips: the loss falls, checkpoints reload exactly, resume continues exactly.

#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <cmath>
#include <chrono>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "geosr/core/network/model_file.hpp"
#include "geosr/core/network/safetensors.hpp"
#include "geosr/core/train/chip_shard.hpp"
#include "geosr/core/runtime.hpp"
#include "geosr/core/train/trainer.hpp"
#include "geosr/core/train/training_run.hpp"
#include "geosr/core/train/validation.hpp"
#include "test_support.hpp"

namespace {

using namespace geosr;

std::string bundled(const std::string& name) { return (test::samples() / "chips" / name).string(); }

NoiseSchedule schedule() { return NoiseSchedule::make(ScheduleKind::Linear, 2000, 1e-6, 1e-2); }

TrainerOptions options(double lr) {
  TrainerOptions o;
  o.batch.batch_size = 4;
  o.batch.patch = 40;
  o.batch.scale = 5;
  o.lr = lr;
  o.seed = 5;
  o.workers = 0;  // single-threaded loading: the determinism these tests assert
  return o;
}

UNet tiny(uint64_t seed) {
  torch::manual_seed(seed);
  return UNet(UNetConfig::preset("tiny", 3));
}

double held_out_loss(UNet& model) {
  const ChipDataset val({bundled("val.chips")});
  ValidationOptions v;
  v.loss_batches = 4;
  v.sample_count = 0;
  return validate(model, schedule(), val, options(0).batch, v, torch::kCPU, false).loss;
}

class TrainLoop : public ::testing::Test {
 protected:
  void SetUp() override { at::set_num_threads(1); }
  std::shared_ptr<const ChipDataset> train = std::make_shared<const ChipDataset>(
      std::vector<std::string>{bundled("train.chips")});
};

TEST_F(TrainLoop, AFewDozenStepsReduceTheHeldOutLoss) {
  Trainer trainer(tiny(1), schedule(), train, options(1e-3));
  const double before = held_out_loss(trainer.model());
  double first = 0.0, last = 0.0;
  for (int i = 0; i < 40; ++i) {
    const double loss = trainer.step();
    if (i < 5) first += loss / 5;
    if (i >= 35) last += loss / 5;
  }
  const double after = held_out_loss(trainer.model());
  EXPECT_LT(last, 0.8 * first) << "training loss " << first << " -> " << last;
  EXPECT_LT(after, 0.8 * before) << "held-out loss " << before << " -> " << after;
}

TEST_F(TrainLoop, SavedModelReloadsWithIdenticalOutputs) {
  const auto dir = test::scratch("save");
  Trainer trainer(tiny(2), schedule(), train, options(1e-3));
  for (int i = 0; i < 3; ++i) trainer.step();
  const auto path = (dir / "model.safetensors").string();
  trainer.save(path, {{"geosr.scale", "5"}});
  Metadata metadata;
  UNet loaded = load_model(path, &metadata);
  EXPECT_EQ(metadata.at("geosr.scale"), "5");
  EXPECT_TRUE(std::filesystem::exists(Trainer::state_path(path)));

  torch::NoGradGuard no_grad;
  trainer.ema()->eval();
  loaded->eval();
  const auto x = torch::randn({2, 6, 40, 40});
  const auto level = torch::tensor({0.3f, 0.9f});
  EXPECT_TRUE(torch::equal(trainer.ema()->forward(x, level), loaded->forward(x, level)));
  // The EMA has moved away from the raw weights, so the file holds the average, not a copy.
  EXPECT_FALSE(torch::equal(trainer.model()->forward(x, level), loaded->forward(x, level)));
}

TEST_F(TrainLoop, ResumeContinuesLikeAnUninterruptedRun) {
  const auto dir = test::scratch("resume");
  std::vector<double> straight;
  {
    Trainer trainer(tiny(3), schedule(), train, options(1e-3));
    for (int i = 0; i < 6; ++i) straight.push_back(trainer.step());
  }
  const auto path = (dir / "model.safetensors").string();
  {
    Trainer first(tiny(3), schedule(), train, options(1e-3));
    for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(first.step(), straight[i]);
    first.save(path, {});
  }
  // Different initial weights: everything must come from the checkpoint.
  Trainer second(tiny(99), schedule(), train, options(1e-3));
  second.resume(path);
  EXPECT_EQ(second.steps_done(), 3);
  for (int i = 3; i < 6; ++i) EXPECT_DOUBLE_EQ(second.step(), straight[i]) << "step " << i + 1;
}

TEST_F(TrainLoop, WorkerThreadsDoNotChangeTheBatches) {
  auto threaded = options(1e-3);
  threaded.workers = 3;
  Trainer a(tiny(4), schedule(), train, options(1e-3));
  Trainer b(tiny(4), schedule(), train, threaded);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(a.step(), b.step());
}

// A score validation did not measure is absent from the log, the curve and the model, not a 0.
TEST(TrainingRun, UnmeasuredValidationScoresAreLeftOut) {
  const auto dir = test::scratch("run_val_loss_only");
  const std::vector<std::string> args = {
      "--chips", bundled("train.chips"), "--val-chips", bundled("val.chips"), "--out", dir.string(), "--preset",
      "tiny", "--patch", "40", "--batch", "2", "--max-steps", "1", "--val-every", "1", "--val-batches", "1",
      "--val-samples", "0", "--workers", "1", "--threads", "1"};
  std::ostringstream log;
  const auto summary = run_training(parse_training_args(args), log);
  EXPECT_NE(log.str().find("validation at step 1: loss "), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find("PSNR"), std::string::npos) << log.str();
  Metadata metadata;
  load_model(summary.model_path, &metadata);
  EXPECT_GT(std::stod(metadata.at("geosr.train.val_loss")), 0.0);
  EXPECT_EQ(metadata.count("geosr.train.val_psnr"), 0u);
  std::ifstream curve((dir / "train_log.csv").string());
  std::string line, rows;
  bool validation_row = false;  // step, seconds, no training loss, the validation loss, no PSNRs
  while (std::getline(curve, line)) {
    rows += line + "\n";
    validation_row = validation_row || std::regex_match(line, std::regex(R"(1,[0-9.]+,,[0-9.]+,,)"));
  }
  EXPECT_TRUE(validation_row) << rows;
}

TEST(TrainingRun, RunsResumesAndWritesItsFiles) {
  const auto dir = test::scratch("run");
  const std::vector<std::string> args = {
      "--chips", bundled("train.chips"), "--val-chips", bundled("val.chips"), "--out", dir.string(),
      "--preset", "tiny", "--patch", "40", "--batch", "2", "--max-steps", "4", "--checkpoint-every", "2",
      "--val-every", "4", "--val-batches", "1", "--val-samples", "2", "--val-steps", "3", "--log-every", "2",
      "--workers", "1", "--threads", "1", "--lr", "1e-3"};
  std::ostringstream log;
  const auto summary = run_training(parse_training_args(args), log);
  EXPECT_EQ(summary.steps, 4);
  EXPECT_GT(summary.validation.psnr_bicubic, 15.0);
  EXPECT_GT(summary.validation.psnr, 0.0);
  EXPECT_NE(log.str().find("steps/s"), std::string::npos) << log.str();
  Metadata metadata;
  load_model(summary.model_path, &metadata);
  EXPECT_EQ(metadata.at("geosr.train.steps"), "4");
  EXPECT_EQ(metadata.at("geosr.scale"), "5");

  auto more = args;
  more[std::find(more.begin(), more.end(), "--max-steps") - more.begin() + 1] = "6";
  more.push_back("--resume");
  std::ostringstream log2;
  EXPECT_EQ(run_training(parse_training_args(more), log2).steps, 6);
  EXPECT_NE(log2.str().find("resumed"), std::string::npos);
  std::ifstream curve((dir / "train_log.csv").string());
  std::string line;
  int rows = 0;
  while (std::getline(curve, line)) ++rows;
  EXPECT_GE(rows, 1 + 3 + 2);  // header, loss rows at steps 2, 4, 6, validation rows

  // A finished run is not replaced without --resume, nor resumed as another model.
  std::ostringstream ignored;
  EXPECT_THROW(run_training(parse_training_args(args), ignored), std::runtime_error);
  auto other_scale = more;
  other_scale.insert(other_scale.end(), {"--scale", "4"});
  auto other_preset = more;
  other_preset[std::find(other_preset.begin(), other_preset.end(), "--preset") - other_preset.begin() + 1] = "small";
  auto other_lr = more;  // the restored optimizer would have kept 1e-3 silently
  other_lr.insert(other_lr.end(), {"--lr", "2e-3"});
  for (const auto& [changed, expected] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {other_scale, "trained with --scale 5, not 4"},
           {other_preset, "not the small preset"},
           {other_lr, "trained with --lr 0.001, not 0.002"}}) {
    try {
      run_training(parse_training_args(changed), ignored);
      ADD_FAILURE() << "resumed as another model: " << expected;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
  load_model(summary.model_path, &metadata);
  EXPECT_EQ(metadata.at("geosr.train.steps"), "6") << "the refused runs left the model alone";
}

TEST_F(TrainLoop, TheStateAloneResumesWhenTheModelFileIsOlder) {
  // A kill between the two files of a checkpoint leaves the new state beside the old model.
  const auto dir = test::scratch("resume_state_first");
  const auto path = (dir / "model.safetensors").string();
  std::vector<double> straight;
  std::vector<torch::Tensor> straight_ema;
  {
    Trainer trainer(tiny(3), schedule(), train, options(1e-3));
    for (int i = 0; i < 5; ++i) straight.push_back(trainer.step());
    for (const auto& p : trainer.ema()->parameters()) straight_ema.push_back(p.detach().clone());
  }
  {
    Trainer first(tiny(3), schedule(), train, options(1e-3));
    first.step();
    first.save(path, {});
    std::filesystem::copy_file(path, dir / "old.safetensors");
    first.step();
    first.step();
    first.save(path, {});
  }
  std::filesystem::copy_file(dir / "old.safetensors", path, std::filesystem::copy_options::overwrite_existing);
  Trainer second(tiny(99), schedule(), train, options(1e-3));
  second.resume(path);
  EXPECT_EQ(second.steps_done(), 3);
  for (int i = 3; i < 5; ++i) EXPECT_DOUBLE_EQ(second.step(), straight[i]) << "step " << i + 1;
  const auto ema = second.ema()->parameters();
  ASSERT_EQ(ema.size(), straight_ema.size());
  for (size_t i = 0; i < ema.size(); ++i) EXPECT_TRUE(torch::equal(ema[i], straight_ema[i])) << "EMA tensor " << i;
}

TEST(TrainingRun, ALossCurveThatCannotBeWrittenStopsTheRun) {
  // /dev/full fails every write with ENOSPC, as a full disk does.
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const auto dir = test::scratch("curve_on_full_disk");
  std::filesystem::create_symlink("/dev/full", dir / "train_log.csv");
  std::ostringstream log;
  try {
    run_training(parse_training_args({"--chips", bundled("train.chips"), "--out", dir.string(), "--preset", "tiny",
                                      "--patch", "40", "--batch", "2", "--max-steps", "2", "--workers", "1",
                                      "--threads", "1"}),
                 log);
    ADD_FAILURE() << "trained on without its curve";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write " + (dir / "train_log.csv").string());
  }
}

TEST(TrainingRun, AStateWritePastTheFileSizeLimitFailsAndLeavesNothing) {
  // LibTorch's file writer met this in a destructor and ended the process (std::terminate).
  fail_writes_past_file_size_limit();
  const auto dir = test::scratch("state_file_size_limit");
  torch::serialize::OutputArchive archive;
  archive.write("step", torch::ones({512, 512}));
  auto weights = torch::zeros({4}, torch::requires_grad());
  const torch::optim::AdamW optimizer(std::vector<torch::Tensor>{weights});
  std::string error;
  try {
    const test::FileSizeLimit limit(64 << 10);
    save_training_state(archive, optimizer, (dir / "model.safetensors").string());
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("cannot write training state"), std::string::npos) << error;
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "no partial or staged file";
}

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A curve row without its seconds column, which differs between runs.
std::string without_seconds(const std::string& row) {
  const auto first = row.find(','), second = row.find(',', first + 1);
  return row.substr(0, first) + row.substr(second);
}

void on_signal_after_the_run(int) {}

TEST(TrainingRun, ASignalSavesTheRunWhereItStoppedAndResumeContinuesExactly) {
  const auto dir = test::scratch("interrupted");
  const auto run = [&](const std::string& name, const std::string& max_steps, bool resume) {
    std::vector<std::string> args = {"--chips", bundled("train.chips"), "--out", (dir / name).string(),
                                     "--preset", "tiny", "--patch", "40", "--batch", "2", "--max-steps", max_steps,
                                     "--checkpoint-every", "1000", "--log-every", "1", "--workers", "1",
                                     "--threads", "1"};
    if (resume) args.push_back("--resume");
    std::ostringstream log;
    return run_training(parse_training_args(args), log);
  };
  // A SIGTERM that comes after the run has put back this handler must not end the test.
  struct sigaction quiet {}, before {};
  quiet.sa_handler = on_signal_after_the_run;
  sigaction(SIGTERM, &quiet, &before);
  std::atomic<bool> stop_waiting{false};
  std::thread killer([&] {  // as `kill` from a shell, once the run has logged two steps
    while (!stop_waiting && lines_of(dir / "stopped" / "train_log.csv").size() < 3)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!stop_waiting) ::kill(::getpid(), SIGTERM);
  });
  const auto stopped = run("stopped", "100000", false);
  stop_waiting = true;
  killer.join();
  sigaction(SIGTERM, &before, nullptr);

  ASSERT_EQ(stopped.interrupted, SIGTERM);
  const int64_t at = stopped.steps;
  ASSERT_GE(at, 2);
  EXPECT_EQ(interruption_text(stopped), "interrupted at step " + std::to_string(at) + "; saved to " +
                                            stopped.model_path + " (continue with the same command and --resume)");
  EXPECT_EQ(interruption_exit_code(stopped), 128 + SIGTERM);
  Metadata metadata;
  load_model(stopped.model_path, &metadata);
  EXPECT_EQ(metadata.at("geosr.train.steps"), std::to_string(at)) << "saved where it stopped, not at a checkpoint";

  // A run killed outright after its checkpoint leaves rows of steps that run again on resume.
  std::ofstream(dir / "stopped" / "train_log.csv", std::ios::app) << at + 1 << ",9.9,0.12345,,,\n";
  const std::string total = std::to_string(at + 3);
  ASSERT_EQ(run("stopped", total, true).steps, at + 3);
  ASSERT_EQ(run("straight", total, false).steps, at + 3);

  const auto resumed = read_safetensors((dir / "stopped" / "model.safetensors").string()).tensors;
  const auto straight = read_safetensors((dir / "straight" / "model.safetensors").string()).tensors;
  ASSERT_EQ(resumed.size(), straight.size());
  for (const auto& [name, tensor] : straight) EXPECT_TRUE(torch::equal(resumed.at(name), tensor)) << name;
  auto resumed_rows = lines_of(dir / "stopped" / "train_log.csv"), straight_rows = lines_of(dir / "straight" / "train_log.csv");
  ASSERT_EQ(resumed_rows.size(), straight_rows.size()) << "one row per step, none twice";
  for (size_t i = 0; i < straight_rows.size(); ++i)
    EXPECT_EQ(without_seconds(resumed_rows[i]), without_seconds(straight_rows[i])) << "row " << i;
}

// Chips of another band list or count are refused before the first step, not at the first
// validation or silently.
TEST(TrainingRun, ChipsOfOtherBandsAreRefusedBeforeTraining) {
  const auto dir = test::scratch("other_bands");
  const auto sidecar = [&](const std::string& name, const std::string& bands) {
    std::filesystem::copy_file(bundled("train.chips"), dir / name);
    std::ofstream(dir / (name + ".json")) << "{\"format\": \"geosr-chips\", \"bands\": [" << bands << "]}\n";
    return (dir / name).string();
  };
  const std::string rgb = sidecar("rgb.chips", "1, 2, 3"), cir = sidecar("cir.chips", "4, 3, 2");
  ChipShardInfo info;
  const auto chips = read_chip_shard(bundled("val.chips"), &info);
  {
    ChipShardInfo four_bands = info;
    four_bands.channels = 4;
    ChipShardWriter four((dir / "four.chips").string(), four_bands);
    for (int64_t i = 0; i < chips.size(0); ++i) four.append(torch::cat({chips[i], chips[i].narrow(0, 0, 1)}));
  }
  const auto train = [&](const std::string& out, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--out", (dir / out).string(), "--patch", "40", "--batch", "2",
                                     "--max-steps", "1", "--workers", "1", "--threads", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::ostringstream log;
    try {
      run_training(parse_training_args(args), log);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(train("four", {"--chips", rgb, "--val-chips", (dir / "four.chips").string()}),
            "validation chips have 4 bands, training chips 3");
  EXPECT_EQ(train("mixed", {"--chips", rgb + "," + cir}),
            "chips " + cir + " hold bands 4,3,2 but " + rgb + " holds bands 1,2,3 (train on chips of one band list)");
  EXPECT_FALSE(std::filesystem::exists(dir / "four")) << "nothing written for a refused run";
  EXPECT_FALSE(std::filesystem::exists(dir / "mixed"));

  ASSERT_EQ(train("run", {"--chips", rgb}), "");
  Metadata metadata;
  load_model((dir / "run" / "model.safetensors").string(), &metadata);
  EXPECT_EQ(metadata.at("geosr.bands"), "1,2,3");
  EXPECT_NE(train("run", {"--chips", cir, "--max-steps", "2", "--resume"}).find("trained with chips of bands 1,2,3, not 4,3,2"),
            std::string::npos);
  EXPECT_EQ(train("run", {"--chips", rgb, "--max-steps", "2", "--resume"}), "");
}

TEST(TrainingRun, BadArgumentsSayWhatIsWrong) {
  EXPECT_THROW(parse_training_args({"--out", "x", "--max-steps", "3"}), std::runtime_error);  // no chips
  EXPECT_THROW(parse_training_args({"--chips", "a", "--out", "x"}), std::runtime_error);     // no limit
  EXPECT_THROW(parse_training_args({"--chips", "a", "--out", "x", "--max-steps", "ten"}), std::runtime_error);
  EXPECT_THROW(parse_training_args({"--chips", "a", "--out", "x", "--max-steps", "3", "--bogus", "1"}),
               std::runtime_error);
  // Values that used to be taken silently: a wrapped seed, an EMA that diverges, negative counts.
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{"--seed", "-1"}, "--seed must be a whole number"},
      {{"--ema-decay", "2"}, "--ema-decay must be in [0, 1)"},
      {{"--time-limit", "-5"}, "must not be negative"},
      {{"--max-steps", "-5"}, "must not be negative"},
      {{"--beta-start", "0.1", "--beta-end", "0.01"}, "--beta-start must be below --beta-end"},
      {{"--schedule-steps", "0"}, "schedule needs at least one step"},
      {{"--beta-end", "1.5"}, "betas must lie in (0, 1)"},
      {{"--workers", "-1"}, "must not be negative"},
      {{"--scale", "1"}, "--scale must be 2 .. 100"},
      {{"--lr", "nan"}, "--lr must be a positive number"},
      {{"--init", "m.safetensors", "--preset", "small"}, "--preset shapes a new model"},
      {{"--bogus"}, "unknown option --bogus"},
      {{"--patch", "48"}, "--patch 48 must be divisible by --scale 5"},
      {{"--patch", "45"}, "--patch 45 must be divisible by 8 for the tiny preset"},
      {{"--preset", "huge"}, "unknown U-Net preset 'huge'"},
      {{"--batch", "100000"}, "--batch and --patch must be at most 4096"},
      {{"--threads", "100000"}, "--threads 1024"},
      {{"--val-chips", "v.chips,"}, "--val-chips: empty item in 'v.chips,'"},
      // Found at the first validation, minutes into the run, before.
      {{"--val-steps", "0"}, "--val-steps must be 1 .. 2000"},
      {{"--val-steps", "2001"}, "--val-steps must be 1 .. 2000"},
      {{"--val-steps", "99999999999"}, "--val-steps must be 1 .. 2000"},
      {{"--val-samples", "-1"}, "--val-batches and --val-samples must not be negative"},
      {{"--val-batches", "-1"}, "--val-batches and --val-samples must not be negative"},
      {{"--val-chips", "v.chips", "--val-batches", "0", "--val-samples", "0"}, "leave --val-chips nothing to measure"},
  };
  for (const auto& [extra, expected] : refused) {
    std::vector<std::string> args = {"--chips", "a", "--out", "x", "--max-steps", "3"};
    args.insert(args.end(), extra.begin(), extra.end());
    try {
      parse_training_args(args);
      ADD_FAILURE() << extra.front() << " was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
  const auto c = parse_training_args({"--chips=a,b", "--out", "x", "--time-limit", "1.5h", "--chips", "c"});
  EXPECT_EQ(c.train_chips.size(), 3u) << "--chips adds up";
  EXPECT_DOUBLE_EQ(c.time_limit_s, 5400.0);
  // Patches the network or the chips cannot take are refused before the run's folder is made: a
  // network read from --init once it is loaded, patches larger than the chips before the first step.
  const auto out = test::scratch("badpatch") / "run";
  const auto refusal = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--chips", bundled("train.chips"), "--out", out.string(), "--max-steps", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    try {
      run_training(parse_training_args(args), std::cerr);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string init = (test::samples() / "models" / "naip-rgb-x5-tiny.safetensors").string();
  EXPECT_EQ(refusal({"--init", init, "--patch", "20"}), "--patch 20 must be divisible by 8 for this network");
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_EQ(refusal({"--patch", "80"}), "--patch 80 is larger than the training chips (48 x 48)");
  EXPECT_FALSE(std::filesystem::exists(out));
  // --out naming a file, not a directory.
  const auto file = test::scratch("badpatch") / "file";
  std::ofstream(file) << "mine";
  std::vector<std::string> args = {"--chips", bundled("train.chips"), "--out", file.string(), "--max-steps", "1",
                                   "--patch", "40"};
  try {
    run_training(parse_training_args(args), std::cerr);
    ADD_FAILURE() << "--out a file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "--out " + file.string() + " is a file, not a directory");
  }
  EXPECT_EQ(test::file_bytes(file), "mine");
}

TEST(TrainingRun, DamagedShardHeadersAreRefusedBeforeTraining) {
  const std::string good = test::file_bytes(bundled("train.chips"));
  const auto dir = test::scratch("damaged_shards");
  const auto damaged = [&](size_t at, const void* value, size_t size) {
    std::string bytes = good;
    std::memcpy(bytes.data() + at, value, size);
    const auto path = dir / ("at" + std::to_string(at) + ".chips");
    std::ofstream(path, std::ios::binary) << bytes;
    return path.string();
  };
  const double nan = NAN;
  const uint64_t huge = uint64_t{1} << 62;
  for (const auto& [path, expected] : std::vector<std::pair<std::string, std::string>>{
           {damaged(40, &nan, sizeof nan), "bad value scaling in chip shard"},
           {damaged(32, &huge, sizeof huge), "chip shard is shorter than its header says"},
           {dir.string(), "not a chip shard but a directory"}}) {
    try {
      read_chip_shard_info(path);
      ADD_FAILURE() << path << " was read";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

}  // namespace
