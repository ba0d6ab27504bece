#include "diffusion_job.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "diffusion_scene.hpp"
#include "distributed_job.hpp"
#include "geosr/core/canvas/streaming_sampler.hpp"
#include "geosr/core/interrupt.hpp"
#include "geosr/io/raster_writer.hpp"
#include "geosr/io/value_survey.hpp"
#include "resample_job.hpp"
#include "split_job.hpp"

namespace geosr::cli {

namespace fs = std::filesystem;

std::string default_model_path() {
  if (const char* env = std::getenv("GEOSR_MODEL"); env && *env) return env;
  return GEOSR_DEFAULT_MODEL;
}

po::options_description diffusion_options(const std::string& caption) {
  po::options_description options(caption);
  options.add_options()
      ("model", po::value<std::string>()->value_name("FILE"), "model (.safetensors); default $GEOSR_MODEL or the bundled one")
      ("steps", po::value<int>()->default_value(50), "denoising steps (re-spaced training schedule)")
      ("sampler", po::value<std::string>()->default_value("ddpm"), "ddpm | ddim")
      ("eta", po::value<double>()->default_value(0.0), "DDIM eta (0: deterministic)")
      ("lr-consistency", po::value<double>()->default_value(DiffusionSettings{}.lr_consistency)->value_name("W"),
       "0 .. 1: pull each step's estimate to the LR's low frequencies (0: off, the paper's sampler)")
      ("fusion", po::value<std::string>()->default_value("sdvc"), "sdvc | vcf | avg | none (independent tiles)")
      ("weights", po::value<std::string>()->default_value("cone"), "window weights: cone | tent | gaussian | uniform")
      ("window", po::value<int64_t>()->default_value(0), "window size in output pixels (0: 128)")
      ("stride", po::value<int64_t>()->default_value(0), "window stride (0: 3/4 of the window)")
      ("batch", po::value<int64_t>()->default_value(8), "windows per network call")
      ("seed", po::value<std::string>()->default_value("0"), "noise seed; the same seed gives the same bytes")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu | cuda | cuda:N")
      ("precision", po::value<std::string>()->default_value("fp32"), "fp32 | bf16 | fp16 (CUDA autocast)");
  return options;
}

DiffusionSettings read_diffusion_settings(const po::variables_map& values) {
  DiffusionSettings s;
  s.model = values.count("model") ? values["model"].as<std::string>() : default_model_path();
  if (values.count("scale")) {
    const double scale = values["scale"].as<double>();
    if (scale != std::floor(scale)) throw UsageError("--scale must be an integer with a diffusion model");
    s.scale = static_cast<int64_t>(scale);
  }
  s.steps = values["steps"].as<int>();
  s.sampler = values["sampler"].as<std::string>();
  s.eta = values["eta"].as<double>();
  s.lr_consistency = values["lr-consistency"].as<double>();
  s.fusion = values["fusion"].as<std::string>();
  s.weights = values["weights"].as<std::string>();
  s.window = values["window"].as<int64_t>();
  s.stride = values["stride"].as<int64_t>();
  s.batch = values["batch"].as<int64_t>();
  s.seed = read_seed(values);
  s.device = values["device"].as<std::string>();
  s.precision = values["precision"].as<std::string>();
  return s;
}

std::string checkpoint_path(const std::string& dst) { return dst + ".geosr-checkpoint"; }

DiffusionSetup prepare_settings(const DiffusionSettings& settings) {
  try {
    return prepare_diffusion(settings);
  } catch (const SettingsError& e) {
    throw UsageError(e.what());
  }
}

void warn_about_value_rule(const std::string& command, const RasterSource& source, const ValueSurvey& survey) {
  if (const auto warning = value_rule_warning(source, survey, "give --in-range LO,HI")) warn(command, *warning);
}

RasterSource open_model_source(const IoOptions& io, const DiffusionSetup& setup) {
  try {
    return open_model_input(io.src, io.bands, io.in_ranges, setup.channels, "-b");
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

int run_diffusion_job(const DiffusionJob& job, IoOptions io) {
  // Where the run starts, not where batch --slurm parses the options: a node's scratch may exist
  // only there. Checked even when the canvas fits in RAM: a scene a little larger needs it hours in.
  if (!job.tmpdir.empty()) {
    std::error_code ec;
    if (!fs::is_directory(job.tmpdir, ec)) throw std::runtime_error("--tmpdir " + job.tmpdir + " is not a directory");
    if (::access(job.tmpdir.c_str(), W_OK) != 0) throw std::runtime_error("--tmpdir " + job.tmpdir + " is not writable");
  }
  if (job.split_rows > 0 || job.split_part > 0) {
    if (job.split_rows < 1) throw UsageError("--split-part needs --split-rows");
    return run_split_job(job, io);
  }
#ifdef GEOSR_WITH_MPI
  if (job.mpi) return run_distributed_job(job, io);
#endif
  DiffusionScene scene(job, io);
  // A dry run refuses what the run would refuse, so its plan is one that can run.
  scene.check_runnable();
  const std::string checkpoint = checkpoint_path(io.dst);
  int completed = 0;
  if (job.resume) {
    const CheckpointInfo info = read_checkpoint_info(checkpoint);
    const std::string difference = settings_difference(scene.settings, info.settings);
    if (!difference.empty()) throw UsageError("cannot resume from " + checkpoint + ": " + difference);
    completed = info.steps_completed;
  } else if (fs::exists(checkpoint) && !job.dry_run) {
    warn("sr", "starting afresh; the checkpoint " + checkpoint + " of an earlier run will be replaced");
  }
  // The writer and its staging file only exist while the output is written, so a run killed while
  // denoising leaves nothing but its checkpoint; the path is checked before the long computation.
  check_output_path(io.dst, io.overwrite);
  if (job.dry_run) {
    scene.print_estimate(1);
    return 0;
  }

  const int64_t rows = scene.grid().extent_height();
  auto state = scene.new_array(rows);
  if (job.resume) {
    load_checkpoint_state(checkpoint, *state);
  } else {
    scene.write_initial_noise(*state, 0);
  }
  BandCanvas canvas = scene.new_canvas(std::move(state));

  const InterruptGuard interrupts;
  const int total = job.steps;
  StepProgress progress(completed, total, io.quiet);
  const StreamingRun run = scene.streaming_run(
      [&](const SceneProgress& p) {
        if (InterruptGuard::received()) throw Interrupted{InterruptGuard::received()};
        progress(p);
      },
      [&](int steps_done) {
        completed = steps_done;
        if (job.checkpoint_every > 0 && steps_done % job.checkpoint_every == 0 && steps_done < total)
          save_checkpoint(checkpoint, scene.settings, steps_done, canvas.state());
        if (InterruptGuard::received()) throw Interrupted{InterruptGuard::received()};
      });
  try {
    run_streaming(run, canvas, completed);
    scene.write_output(canvas.state(), io, progress.ticks());
  } catch (const Interrupted& stop) {
    save_checkpoint(checkpoint, scene.settings, completed, canvas.state());
    if (!io.quiet) std::cerr << "\n";
    std::cerr << "geosr sr: interrupted after step " << completed << " of " << total << "; state saved to "
              << checkpoint << " (finish with the same command and --resume)\n";
    return 128 + stop.signal;
  }
  fs::remove(checkpoint);
  return 0;
}

}  // namespace geosr::cli
