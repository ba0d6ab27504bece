#pragma once
// A whole training run as `geosr train` and the GDAL-free `geosr-train` start it: argument parsing,
// the step loop with progress, periodic validation and checkpoints, --resume, --max-steps and
// --time-limit. Outputs in the run directory: model.safetensors (EMA weights, what inference loads),
// model.state.pt (raw weights + optimizer + step) and train_log.csv (the training curve).

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "geosr/core/diffusion/schedule.hpp"
#include "geosr/core/train/model_metadata.hpp"
#include "geosr/core/train/trainer.hpp"
#include "geosr/core/train/validation.hpp"

namespace geosr {

struct TrainingConfig {
  std::vector<std::string> train_chips;  // shard files
  std::vector<std::string> val_chips;
  std::string out_dir;
  std::string preset;  // U-Net preset for a new model; empty: tiny (with --resume: whatever the run has)
  std::string init;             // start from this model's weights and configuration (fine-tuning)
  bool resume = false;          // continue the run in out_dir
  bool quiet = false;           // -q: no progress lines
  TrainerOptions trainer;
  ScheduleSpec schedule;         // training noise schedule (the paper's by default)
  int64_t max_steps = 0;        // 0: until the time limit
  double time_limit_s = 0.0;    // 0: until max_steps
  int64_t checkpoint_every = 500;
  int64_t val_every = 500;
  int64_t log_every = 25;
  ValidationOptions validation;
  int threads = 0;              // intra-op threads (<= 0: one per core)
  std::string command_line;     // recorded in the model's metadata
};

// Throws std::runtime_error with a one-line message on unknown or malformed options.
TrainingConfig parse_training_args(const std::vector<std::string>& args);
std::string training_usage(const std::string& program);

struct TrainingSummary {
  int64_t steps = 0;
  double seconds = 0.0;  // this invocation's wall time
  double last_loss = 0.0;
  ValidationScores validation;  // zeros when there are no validation chips
  std::string model_path;
  int interrupted = 0;  // SIGINT, SIGTERM or SIGHUP that stopped the run early, saved at `steps`; or 0
};

// Progress lines go to `progress` (none with config.quiet). Stops at the first step after SIGINT,
// SIGTERM or SIGHUP, saved (summary.interrupted says which).
TrainingSummary run_training(const TrainingConfig& config, std::ostream& progress);

// What a stopped run tells its user, and the exit code a shell expects of it (128 + the signal).
std::string interruption_text(const TrainingSummary& summary);
inline int interruption_exit_code(const TrainingSummary& summary) { return 128 + summary.interrupted; }

}  // namespace geosr
