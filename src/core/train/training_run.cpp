#include "geosr/core/train/training_run.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "../network/json.hpp"
#include "geosr/core/inference/diffusion_setup.hpp"
#include "geosr/core/interrupt.hpp"
#include "geosr/core/list_items.hpp"
#include "geosr/core/runtime.hpp"
#include "geosr/core/train/run_settings.hpp"
#include "geosr/core/train/training_log.hpp"
#include "geosr/core/whole_number.hpp"

namespace geosr {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double to_number(const std::string& option, const std::string& text) {
  if (const auto value = whole_number<double>(text)) return *value;
  throw std::runtime_error("option " + option + " needs a number, got '" + text + "'");
}

int64_t to_integer(const std::string& option, const std::string& text) {
  const double value = to_number(option, text);
  if (value != std::floor(value)) throw std::runtime_error("option " + option + " needs an integer, got '" + text + "'");
  return static_cast<int64_t>(value);
}

// "90", "90s", "30m", "1.5h" -> seconds.
double to_seconds(const std::string& option, const std::string& text) {
  if (text.empty()) throw std::runtime_error("option " + option + " needs a duration");
  const std::map<char, double> units = {{'s', 1.0}, {'m', 60.0}, {'h', 3600.0}};
  const auto unit = units.find(text.back());
  if (unit == units.end()) return to_number(option, text);
  return to_number(option, text.substr(0, text.size() - 1)) * unit->second;
}

std::vector<std::string> chip_paths(const std::string& option, const std::string& text) {
  const auto paths = list_items(text);
  if (!paths) throw std::runtime_error(empty_item_text(option, text));
  return *paths;
}

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(std::max(0.0, seconds));
  char text[32];
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  return text;
}

std::string fixed(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

// Bands and provenance recorded by `geosr chips` in the shard's JSON sidecar, when there is one.
std::string sidecar_bands(const std::string& shard) {
  std::ifstream in(shard + ".json");
  if (!in) return "";
  std::stringstream text;
  text << in.rdbuf();
  try {
    const json::Value root = json::parse(text.str());
    const json::Value* bands = root.find("bands");
    if (!bands) return "";
    std::string out;
    for (const auto& b : bands->as_array()) out += (out.empty() ? "" : ",") + std::to_string(b.as_integer());
    return out;
  } catch (const std::exception&) {
    return "";
  }
}

// The band list every shard's sidecar names; shards cut from other bands would train one network
// on mixed inputs.
std::string common_bands(const std::vector<std::string>& shards) {
  std::string bands, first;
  for (const auto& shard : shards) {
    const std::string b = sidecar_bands(shard);
    if (b.empty()) continue;
    if (bands.empty()) {
      bands = b;
      first = shard;
    } else if (b != bands) {
      throw std::runtime_error("chips " + shard + " hold bands " + b + " but " + first + " holds bands " + bands +
                               " (train on chips of one band list)");
    }
  }
  return bands;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::vector<RunSetting> run_settings(const TrainingConfig& c, const std::string& bands) {
  const TrainerOptions& t = c.trainer;
  std::vector<RunSetting> settings = {
      {"geosr.scale", "--scale", std::to_string(t.batch.scale)},
      {"geosr.schedule", "the schedule", c.schedule.to_json()},
      {"geosr.train.patch", "--patch", std::to_string(t.batch.patch)},
      {"geosr.train.batch", "--batch", std::to_string(t.batch.batch_size)},
      {"geosr.train.accumulate", "--accumulate", std::to_string(t.accumulate)},
      {"geosr.train.lr", "--lr", setting_value(t.lr)},
      {"geosr.train.weight_decay", "--weight-decay", setting_value(t.weight_decay)},
      {"geosr.train.ema_decay", "--ema-decay", setting_value(t.ema_decay)},
      {"geosr.train.seed", "--seed", std::to_string(t.seed)},
  };
  if (!bands.empty()) settings.push_back({"geosr.bands", "chips of bands", bands});
  return settings;
}

}  // namespace

std::string training_usage(const std::string& program) {
  return "usage: " + program +
         " --chips SHARD[,SHARD...] --out DIR [options]\n"
         "  --chips LIST          training chip shards (repeatable, comma-separated)\n"
         "  --val-chips LIST      held-out chip shards for validation\n"
         "  --out DIR             run directory (model.safetensors, model.state.pt, train_log.csv)\n"
         "  --preset NAME         U-Net preset for a new model: " + join(UNetConfig::preset_names()) + " (tiny)\n"
         "  --init MODEL          fine-tune: start from this model's configuration and weights\n"
         "  --resume              continue the run in --out from its last checkpoint (same --scale and schedule);\n"
         "                        without it an --out that holds a model is refused\n"
         "  --scale N             super-resolution factor (5)\n"
         "  --patch N             training patch size, divisible by the scale and 2^(levels-1) (80)\n"
         "  --batch N             micro-batch size (8)\n"
         "  --accumulate N        micro-batches per optimizer step (1)\n"
         "  --lr X --weight-decay X --ema-decay X   AdamW and EMA (1e-4, 1e-2, 0.999)\n"
         "  --schedule KIND --schedule-steps T --beta-start X --beta-end X   training noise schedule (linear, 2000, 1e-6, 1e-2)\n"
         "  --max-steps N         stop after N optimizer steps in total (0: no limit)\n"
         "  --time-limit D        stop after this wall time, e.g. 3600, 90m, 1.5h (0: no limit)\n"
         "  --checkpoint-every N  steps between checkpoints (500)\n"
         "  --val-every N         steps between validations (500)\n"
         "  --val-batches N --val-samples N --val-steps N   validation loss batches, sampled windows, sampler steps (4, 4, 20)\n"
         "  --log-every N         steps between progress lines (25)\n"
         "  -q, --quiet           no progress lines (errors and an interruption are still said)\n"
         "  --seed N              seed of initial weights and of every batch (0)\n"
         "  --workers N           data-loading threads (2)\n"
         "  --threads N           intra-op threads (0: one per core)\n"
         "  --device NAME         cpu or cuda[:i] (cpu)\n"
         "  --precision NAME      bf16 (autocast on CUDA) or fp32 (bf16)\n";
}

TrainingConfig parse_training_args(const std::vector<std::string>& args) {
  TrainingConfig c;
  std::string joined;
  for (const auto& a : args) joined += (joined.empty() ? "" : " ") + a;
  c.command_line = joined;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool has_inline_value = false;
    if (const auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline_value = true;
    }
    if (name == "--resume") {
      c.resume = true;
      continue;
    }
    if (name == "-q" || name == "--quiet") {
      c.quiet = true;
      continue;
    }
    if (name.rfind("--", 0) != 0) throw std::runtime_error("unexpected argument '" + name + "'");
    const std::map<std::string, std::function<void()>> handlers = {
        {"--chips", [&] { for (auto& s : chip_paths(name, value)) c.train_chips.push_back(s); }},
        {"--val-chips", [&] { for (auto& s : chip_paths(name, value)) c.val_chips.push_back(s); }},
        {"--out", [&] { c.out_dir = value; }},
        {"--preset", [&] { c.preset = value; }},
        {"--init", [&] { c.init = value; }},
        {"--scale", [&] { c.trainer.batch.scale = to_integer(name, value); }},
        {"--patch", [&] { c.trainer.batch.patch = to_integer(name, value); }},
        {"--batch", [&] { c.trainer.batch.batch_size = to_integer(name, value); }},
        {"--accumulate", [&] { c.trainer.accumulate = to_integer(name, value); }},
        {"--lr", [&] { c.trainer.lr = to_number(name, value); }},
        {"--weight-decay", [&] { c.trainer.weight_decay = to_number(name, value); }},
        {"--ema-decay", [&] { c.trainer.ema_decay = to_number(name, value); }},
        {"--schedule", [&] { c.schedule.kind = parse_schedule_kind(value); }},
        {"--schedule-steps", [&] { c.schedule.steps = static_cast<int>(to_integer(name, value)); }},
        {"--beta-start", [&] { c.schedule.beta_start = to_number(name, value); }},
        {"--beta-end", [&] { c.schedule.beta_end = to_number(name, value); }},
        {"--max-steps", [&] { c.max_steps = to_integer(name, value); }},
        {"--time-limit", [&] { c.time_limit_s = to_seconds(name, value); }},
        {"--checkpoint-every", [&] { c.checkpoint_every = to_integer(name, value); }},
        {"--val-every", [&] { c.val_every = to_integer(name, value); }},
        {"--val-batches", [&] { c.validation.loss_batches = to_integer(name, value); }},
        {"--val-samples", [&] { c.validation.sample_count = to_integer(name, value); }},
        // Beyond int's range the count is pinned where the check below still refuses it, never wrapped.
        {"--val-steps", [&] { c.validation.sample_steps = static_cast<int>(std::clamp<int64_t>(to_integer(name, value), 0, INT_MAX)); }},
        {"--log-every", [&] { c.log_every = to_integer(name, value); }},
        {"--seed", [&] {
           const int64_t seed = to_integer(name, value);
           if (seed < 0) throw std::runtime_error("--seed must be a whole number, 0 or more (got '" + value + "')");
           c.trainer.seed = static_cast<uint64_t>(seed);
         }},
        {"--workers", [&] { c.trainer.workers = static_cast<int>(to_integer(name, value)); }},
        {"--threads", [&] { c.threads = static_cast<int>(to_integer(name, value)); }},
        {"--device", [&] { c.trainer.device = torch::Device(value); }},
        {"--precision", [&] {
           if (value != "bf16" && value != "fp32") throw std::runtime_error("--precision must be bf16 or fp32");
           c.trainer.bf16 = value == "bf16";
         }},
    };
    const auto handler = handlers.find(name);
    if (handler == handlers.end()) throw std::runtime_error("unknown option " + name);
    if (!has_inline_value) {
      if (i + 1 >= args.size()) throw std::runtime_error("option " + name + " needs a value");
      value = args[++i];
    }
    try {
      handler->second();
    } catch (const c10::Error&) {
      throw std::runtime_error("bad value '" + value + "' for " + name);
    }
  }
  if (c.train_chips.empty()) throw std::runtime_error("--chips is required");
  if (c.out_dir.empty()) throw std::runtime_error("--out is required");
  if (c.resume && !c.init.empty()) throw std::runtime_error("--resume and --init exclude each other");
  const auto positive = [](int64_t v, const char* what) {
    if (v < 1) throw std::runtime_error(std::string(what) + " must be at least 1");
  };
  positive(c.trainer.batch.batch_size, "--batch");
  positive(c.trainer.batch.patch, "--patch");
  positive(c.trainer.batch.scale, "--scale");
  positive(c.trainer.accumulate, "--accumulate");
  positive(c.checkpoint_every, "--checkpoint-every");
  positive(c.val_every, "--val-every");
  positive(c.log_every, "--log-every");
  if (c.max_steps < 0 || c.time_limit_s < 0) throw std::runtime_error("--max-steps and --time-limit must not be negative");
  if (c.max_steps == 0 && c.time_limit_s == 0)
    throw std::runtime_error("give --max-steps or --time-limit (or both)");
  // A decreasing linear or quadratic schedule would add the most noise at the first steps.
  if (c.schedule.kind != ScheduleKind::Cosine && !(c.schedule.beta_start < c.schedule.beta_end))
    throw std::runtime_error("--beta-start must be below --beta-end");
  try {
    c.schedule.make();
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("--schedule-steps, --beta-start, --beta-end: ") + e.what());
  }
  // Checked now, not at the first validation minutes into the run.
  if (c.validation.loss_batches < 0 || c.validation.sample_count < 0)
    throw std::runtime_error("--val-batches and --val-samples must not be negative");
  if (!c.val_chips.empty() && c.validation.loss_batches == 0 && c.validation.sample_count == 0)
    throw std::runtime_error("--val-batches 0 and --val-samples 0 leave --val-chips nothing to measure");
  if (c.validation.sample_steps < 1 || c.validation.sample_steps > c.schedule.steps)
    throw std::runtime_error("--val-steps must be 1 .. " + std::to_string(c.schedule.steps) + " (the training schedule)");
  if (c.trainer.batch.scale < 2 || c.trainer.batch.scale > kMaxScale)
    throw std::runtime_error("--scale must be 2 .. " + std::to_string(kMaxScale));
  if (!(c.trainer.lr > 0) || !std::isfinite(c.trainer.lr)) throw std::runtime_error("--lr must be a positive number");
  if (!(c.trainer.weight_decay >= 0) || !std::isfinite(c.trainer.weight_decay))
    throw std::runtime_error("--weight-decay must be a number, 0 or more");
  if (!(c.trainer.ema_decay >= 0 && c.trainer.ema_decay < 1)) throw std::runtime_error("--ema-decay must be in [0, 1)");
  if (c.trainer.workers < 0 || c.threads < 0) throw std::runtime_error("--workers and --threads must not be negative");
  // Beyond these a typing slip would spend minutes allocating before the first step.
  if (c.trainer.batch.batch_size > 4096 || c.trainer.batch.patch > 4096)
    throw std::runtime_error("--batch and --patch must be at most 4096");
  if (c.trainer.workers > 256 || c.threads > 1024) throw std::runtime_error("--workers must be at most 256, --threads 1024");
  if (!c.preset.empty() && !c.init.empty())
    throw std::runtime_error("--preset shapes a new model; --init takes its network from the model file");
  if (c.trainer.batch.patch % c.trainer.batch.scale != 0)
    throw std::runtime_error("--patch " + std::to_string(c.trainer.batch.patch) + " must be divisible by --scale " +
                             std::to_string(c.trainer.batch.scale) + " (the LR patch is patch / scale)");
  if (c.init.empty() && !c.resume) {  // a new network's shape is known now; --init and --resume read theirs later
    const int64_t multiple = UNetConfig::preset(c.preset.empty() ? "tiny" : c.preset).side_multiple();
    if (c.trainer.batch.patch % multiple != 0)
      throw std::runtime_error("--patch " + std::to_string(c.trainer.batch.patch) + " must be divisible by " +
                               std::to_string(multiple) + " for the " + (c.preset.empty() ? "tiny" : c.preset) + " preset");
  }
  if (c.trainer.device.is_cuda() && !torch::cuda::is_available())
    throw std::runtime_error("--device " + c.trainer.device.str() + ": no CUDA device is available to this build of LibTorch");
  return c;
}

TrainingSummary run_training(const TrainingConfig& config, std::ostream& progress) {
  const auto started = Clock::now();
  std::ostream silent(nullptr);  // writes nothing
  std::ostream& log = config.quiet ? silent : progress;
  configure_threads(config.threads);
  const std::string model_path = (fs::path(config.out_dir) / "model.safetensors").string();
  if (!config.resume && fs::exists(model_path))
    throw std::runtime_error(model_path + " exists (continue it with --resume, or give another --out)");

  auto train = std::make_shared<const ChipDataset>(config.train_chips);
  std::shared_ptr<const ChipDataset> val;
  if (!config.val_chips.empty()) val = std::make_shared<const ChipDataset>(config.val_chips);
  // Found now, not at the first validation hundreds of steps in.
  if (val && val->channels() != train->channels())
    throw std::runtime_error("validation chips have " + std::to_string(val->channels()) + " bands, training chips " +
                             std::to_string(train->channels()));
  std::vector<std::string> all_chips = config.train_chips;
  all_chips.insert(all_chips.end(), config.val_chips.begin(), config.val_chips.end());
  const std::string bands = common_bands(all_chips);
  const ChipShardInfo shard = read_chip_shard_info(config.train_chips.front());

  const NoiseSchedule schedule = config.schedule.make();

  Metadata previous;  // metadata of the checkpoint or model we start from
  torch::manual_seed(config.trainer.seed);
  UNet model{nullptr};
  if (config.resume) {
    if (!fs::exists(model_path)) throw std::runtime_error("nothing to resume: " + model_path + " does not exist");
    model = load_model(model_path, &previous);
  } else if (!config.init.empty()) {
    model = load_model(config.init, &previous);
  } else {
    model = UNet(UNetConfig::preset(config.preset.empty() ? "tiny" : config.preset, static_cast<int>(train->channels())));
  }
  const int64_t multiple = model->config().side_multiple();
  if (config.trainer.batch.patch % multiple != 0)
    throw std::runtime_error("--patch " + std::to_string(config.trainer.batch.patch) + " must be divisible by " +
                             std::to_string(multiple) + " for this network");

  const std::vector<RunSetting> settings = run_settings(config, bands);
  if (config.resume) {
    if (!config.preset.empty() &&
        UNetConfig::preset(config.preset, static_cast<int>(train->channels())).to_json() != model->config().to_json())
      throw std::runtime_error("cannot resume: the run's network is not the " + config.preset + " preset");
    check_resumed_settings(previous, settings);
  }
  // Found now, not at the first step or validation, after the run's folder is made.
  for (const auto& [chips, which] : {std::pair{train, "training"}, std::pair{val, "validation"}}) {
    const int64_t patch = config.trainer.batch.patch;
    if (chips && (patch > chips->chip_height() || patch > chips->chip_width()))
      throw std::runtime_error("--patch " + std::to_string(patch) + " is larger than the " + which + " chips (" +
                               std::to_string(chips->chip_height()) + " x " + std::to_string(chips->chip_width()) + ")");
  }
  // Only once the run can start.
  if (fs::exists(config.out_dir) && !fs::is_directory(config.out_dir))
    throw std::runtime_error("--out " + config.out_dir + " is a file, not a directory");
  fs::create_directories(config.out_dir);
  Trainer trainer(model, schedule, train, config.trainer);
  double seconds_before = 0.0;  // wall time of earlier invocations of this run
  if (config.resume) {
    trainer.resume(model_path);
    if (auto s = previous.find("geosr.train.seconds"); s != previous.end()) seconds_before = std::stod(s->second);
    log << "resumed " << model_path << " at step " << trainer.steps_done() << "\n";
  }

  int64_t parameters = 0;
  for (const auto& p : trainer.model()->parameters()) parameters += p.numel();
  log << "training " << parameters << " parameters on " << train->size() << " chips (" << train->channels()
      << " bands), patch " << config.trainer.batch.patch << ", batch " << config.trainer.batch.batch_size << " x "
      << config.trainer.accumulate << ", scale " << config.trainer.batch.scale << ", device "
      << config.trainer.device.str() << "\n";

  TrainingLog curve((fs::path(config.out_dir) / "train_log.csv").string(),
                    "step,seconds,loss,val_loss,val_psnr,val_psnr_bicubic", config.resume ? trainer.steps_done() : -1);

  const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
  const bool measured_loss = config.validation.loss_batches > 0, measured_psnr = config.validation.sample_count > 0;
  const auto metadata = [&](const ValidationScores& scores) {
    Metadata m = previous;
    record_settings(m, settings);
    m["geosr.value_scale"] = json::number(shard.value_scale);
    m["geosr.value_offset"] = json::number(shard.value_offset);
    m["geosr.train.steps"] = std::to_string(trainer.steps_done());
    m["geosr.train.seconds"] = fixed(seconds_before + elapsed(), 1);
    m["geosr.train.chips"] = join(config.train_chips);
    m["geosr.train.device"] = config.trainer.device.str();
    m["geosr.train.command"] = config.command_line;
    if (!config.init.empty()) m["geosr.train.init"] = config.init;
    // A score not measured (--val-batches 0, --val-samples 0) is left out, not recorded as 0.
    if (val && measured_loss) m["geosr.train.val_loss"] = fixed(scores.loss, 5);
    if (val && measured_psnr) {
      m["geosr.train.val_psnr"] = fixed(scores.psnr, 3);
      m["geosr.train.val_psnr_bicubic"] = fixed(scores.psnr_bicubic, 3);
    }
    return m;
  };
  const auto run_validation = [&] {
    const auto scores = validate(trainer.ema(), schedule, *val, config.trainer.batch, config.validation,
                                 config.trainer.device, config.trainer.bf16);
    log << "validation at step " << trainer.steps_done() << ":";
    if (measured_loss) log << " loss " << fixed(scores.loss, 4) << (measured_psnr ? "," : "");
    if (measured_psnr)
      log << " PSNR " << fixed(scores.psnr, 2) << " dB (" << config.validation.sample_steps
          << "-step sample) vs bicubic " << fixed(scores.psnr_bicubic, 2) << " dB";
    log << "\n";
    curve.write(std::to_string(trainer.steps_done()) + "," + fixed(seconds_before + elapsed(), 1) + ",," +
                (measured_loss ? fixed(scores.loss, 5) : "") + "," +
                (measured_psnr ? fixed(scores.psnr, 3) + "," + fixed(scores.psnr_bicubic, 3) : ","));
    return scores;
  };

  TrainingSummary summary;
  summary.model_path = model_path;
  const int64_t first_step = trainer.steps_done();
  const auto loop_started = Clock::now();
  double interval_loss = 0.0;
  int64_t interval_steps = 0;
  const auto done = [&] {
    if (config.max_steps > 0 && trainer.steps_done() >= config.max_steps) return true;
    return config.time_limit_s > 0 && elapsed() >= config.time_limit_s;
  };
  const InterruptGuard interrupts;
  while (!done() && !InterruptGuard::received()) {
    const double loss = trainer.step();
    summary.last_loss = loss;
    interval_loss += loss;
    ++interval_steps;
    const int64_t step = trainer.steps_done();
    if (step % config.log_every == 0) {
      const double loop_seconds = std::chrono::duration<double>(Clock::now() - loop_started).count();
      const double rate = static_cast<double>(step - first_step) / std::max(loop_seconds, 1e-9);
      double eta = config.time_limit_s > 0 ? config.time_limit_s - elapsed() : 1e30;
      if (config.max_steps > 0) eta = std::min(eta, static_cast<double>(config.max_steps - step) / std::max(rate, 1e-9));
      log << "step " << step;
      if (config.max_steps > 0) log << "/" << config.max_steps;
      log << "  loss " << fixed(interval_loss / interval_steps, 4) << "  " << fixed(rate, 3) << " steps/s  ETA "
          << format_duration(eta) << "\n" << std::flush;
      curve.write(std::to_string(step) + "," + fixed(seconds_before + elapsed(), 1) + "," +
                  fixed(interval_loss / interval_steps, 5) + ",,,");
      interval_loss = 0.0;
      interval_steps = 0;
    }
    if (val && step % config.val_every == 0) summary.validation = run_validation();
    if (step % config.checkpoint_every == 0) {
      trainer.save(model_path, metadata(summary.validation));
      log << "checkpoint " << model_path << " at step " << step << "\n" << std::flush;
    }
  }
  const int64_t step = trainer.steps_done();
  summary.interrupted = InterruptGuard::received();
  // An interrupted run is saved where it stopped, so --resume repeats no step; validation waits.
  if (val && step % config.val_every != 0 && !summary.interrupted) summary.validation = run_validation();
  if (step % config.checkpoint_every != 0 || step == first_step) trainer.save(model_path, metadata(summary.validation));
  summary.steps = step;
  summary.seconds = elapsed();
  if (!summary.interrupted)
    log << "done: " << step << " steps in " << format_duration(summary.seconds) << ", model " << model_path << "\n";
  return summary;
}

std::string interruption_text(const TrainingSummary& summary) {
  return "interrupted at step " + std::to_string(summary.steps) + "; saved to " + summary.model_path +
         " (continue with the same command and --resume)";
}

}  // namespace geosr
