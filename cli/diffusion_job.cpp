#include "diffusion_job.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "geosr/core/canvas/checkpoint.hpp"
#include "geosr/core/canvas/condition_source.hpp"
#include "geosr/core/canvas/streaming_sampler.hpp"
#include "geosr/core/diffusion/noise.hpp"
#include "geosr/core/network/model_file.hpp"
#include "geosr/io/cog_writer.hpp"
#include "geosr/io/pipeline.hpp"
#include "geosr/io/progress.hpp"
#include "geosr/version.hpp"
#include "interrupt.hpp"
#include "resample_job.hpp"

namespace geosr::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Hands the finished canvas to the block pipeline, so the diffusion output is written, masked and
// georeferenced exactly like every other method's. Rows already written are given back to the
// kernel, which keeps a memory-mapped canvas out of RAM while it is copied out.
class CanvasProcessor : public BlockProcessor {
 public:
  CanvasProcessor(SceneArray& state, int64_t scale) : state_(state), scale_(scale) {}
  Span source_rows(Span dst) const override { return to_source(dst); }
  Span source_cols(Span dst) const override { return to_source(dst); }
  torch::Tensor process(const torch::Tensor&, Span, Span, Span rows, Span cols) override {
    if (InterruptGuard::received()) throw Interrupted{InterruptGuard::received()};
    if (rows.begin > released_) {
      state_.release_rows(released_, rows.begin);
      released_ = rows.begin;
    }
    return state_.read({rows.begin, cols.begin, rows.end, cols.end}).clamp(-1.0, 1.0);
  }

 private:
  Span to_source(Span dst) const { return {dst.begin / scale_, (dst.end - 1) / scale_ + 1}; }
  SceneArray& state_;
  int64_t scale_;
  int64_t released_ = 0;
};

double available_ram_bytes() {
  return static_cast<double>(sysconf(_SC_AVPHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// 1.5 GiB, 230 MiB, 12 KiB: two significant decimals in the largest unit that keeps a leading digit.
std::string bytes_text(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024.0 && unit < 4) {
    bytes /= 1024.0;
    ++unit;
  }
  return format_number(std::round(bytes * 100.0) / 100.0) + " " + units[unit];
}

std::string clock_time(double seconds) {
  const auto s = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  char text[32];
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return text;
}

std::string join(const std::vector<int>& values) {
  std::string text;
  for (int v : values) text += (text.empty() ? "" : ",") + std::to_string(v);
  return text;
}

// Every setting the output bytes depend on: a checkpoint only resumes a run with the same ones.
RunSettings run_settings(const DiffusionJob& job, const RasterSource& source, int64_t scale, int64_t window,
                         int64_t stride, const std::string& fusion, torch::Device device) {
  std::vector<int> bands;
  for (const auto& band : source.bands()) bands.push_back(band.index);
  return {{"input", fs::weakly_canonical(source.path()).string()},
          {"input_size", std::to_string(source.width()) + "x" + std::to_string(source.height())},
          {"bands", join(bands)},
          {"model", fs::weakly_canonical(job.model).string()},
          {"model_bytes", std::to_string(fs::file_size(job.model))},
          {"scale", std::to_string(scale)},
          {"steps", std::to_string(job.steps)},
          {"sampler", job.sampler},
          {"eta", format_number(job.eta)},
          {"fusion", fusion},
          {"weights", job.weights},
          {"window", std::to_string(window)},
          {"stride", std::to_string(stride)},
          {"seed", std::to_string(job.seed)},
          {"precision", job.precision},
          {"device", device.is_cuda() ? "cuda" : "cpu"},
          {"version", kVersion}};
}

// Seconds per window-step, from one timed network call on a batch of blank windows.
double seconds_per_window(const Denoiser& denoiser, int64_t channels, int64_t window, int64_t batch) {
  const auto x = torch::zeros({batch, channels, window, window});
  const auto level = torch::full({batch}, 0.5f);
  denoiser(x, x, level);  // first call pays one-off costs (allocation, cuDNN autotuning)
  const auto started = Clock::now();
  const auto out = denoiser(x, x, level);
  out.sum().item<float>();  // waits for the device
  return std::chrono::duration<double>(Clock::now() - started).count() / static_cast<double>(batch);
}

}  // namespace

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
      ("fusion", po::value<std::string>()->default_value("sdvc"), "sdvc | vcf | avg | none (independent tiles)")
      ("weights", po::value<std::string>()->default_value("cone"), "window weights: cone | tent | gaussian | uniform")
      ("window", po::value<int64_t>()->default_value(0), "window size in output pixels (0: 128)")
      ("stride", po::value<int64_t>()->default_value(0), "window stride (0: 3/4 of the window)")
      ("batch", po::value<int64_t>()->default_value(8), "windows per network call")
      ("seed", po::value<uint64_t>()->default_value(0), "noise seed; the same seed gives the same bytes")
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
  s.fusion = values["fusion"].as<std::string>();
  s.weights = values["weights"].as<std::string>();
  s.window = values["window"].as<int64_t>();
  s.stride = values["stride"].as<int64_t>();
  s.batch = values["batch"].as<int64_t>();
  s.seed = values["seed"].as<uint64_t>();
  s.device = values["device"].as<std::string>();
  s.precision = values["precision"].as<std::string>();
  return s;
}

std::map<std::string, std::string> diffusion_metadata(const DiffusionSettings& settings, const DiffusionSetup& setup) {
  const int64_t step = setup.fusion == FusionMode::None ? setup.window : setup.stride;
  return {{"GEOSR_METHOD", "diffusion"},
          {"GEOSR_SCALE", std::to_string(setup.scale)},
          {"GEOSR_MODEL", fs::path(settings.model).filename().string()},
          {"GEOSR_STEPS", std::to_string(settings.steps)},
          {"GEOSR_SEED", std::to_string(settings.seed)},
          {"GEOSR_SAMPLER", settings.sampler},
          {"GEOSR_FUSION", to_string(setup.fusion)},
          {"GEOSR_GRID", std::to_string(setup.window) + "," + std::to_string(step)},
          {"GEOSR_VERSION", kVersion}};
}

std::string checkpoint_path(const std::string& dst) { return dst + ".geosr-checkpoint"; }

DiffusionSetup prepare_settings(const DiffusionSettings& settings) {
  try {
    return prepare_diffusion(settings);
  } catch (const SettingsError& e) {
    throw UsageError(e.what());
  }
}

int run_diffusion_job(const DiffusionJob& job, IoOptions io) {
  const DiffusionSetup setup = prepare_settings(job);
  if (io.bands.empty()) {
    const RasterSource probe(io.src);
    if (static_cast<int64_t>(probe.bands().size()) > setup.channels) {
      for (int b = 1; b <= setup.channels; ++b) io.bands.push_back(b);
    }
  }
  const RasterSource source(io.src, io.bands, io.in_ranges);

  const auto channels = static_cast<int64_t>(source.bands().size());
  if (channels != setup.channels) {
    throw UsageError("the model takes " + std::to_string(setup.channels) + " bands but " +
                     std::to_string(channels) + " are selected (choose them with -b)");
  }
  if (job.checkpoint_every < 0) throw UsageError("--checkpoint-every must be 0 (only when interrupted) or more");
  if (job.max_ram < 0) throw UsageError("--max-ram must be positive");
  const int64_t scale = setup.scale, window = setup.window, stride = setup.stride;
  const FusionMode fusion = setup.fusion;
  const torch::Device device = setup.device;
  const Denoiser& denoiser = setup.denoiser;
  const Sampler& sampler = *setup.sampler;

  const int64_t height = source.height() * scale, width = source.width() * scale;
  check_output_size(width, height);
  const Fuser fuser = setup.fuser(height, width);
  const WindowGrid& grid = fuser.grid();

  // Memory: two canvas arrays (y_t, y_{t-1}) of the padded extent, and per band of window rows the
  // accumulator, the condition and (for a mapped canvas) the resident rows of both arrays.
  const double array_bytes = SceneArray::bytes_per_pixel(channels) * static_cast<double>(grid.extent_height()) *
                             static_cast<double>(grid.extent_width());
  const double band_pixels = static_cast<double>(window) * static_cast<double>(grid.extent_width());
  const double band_bytes = BandCanvas::accumulator_bytes(fuser.planes(), channels, window, grid.extent_width()) +
                            3.0 * SceneArray::bytes_per_pixel(channels) * band_pixels;
  const double max_ram = job.max_ram > 0 ? job.max_ram : 0.5 * available_ram_bytes();
  const bool in_ram = 2.0 * array_bytes + band_bytes <= max_ram;
  if (!in_ram && band_bytes > max_ram) {
    throw std::runtime_error("--max-ram " + bytes_text(max_ram) + " is below the " + bytes_text(band_bytes) +
                             " one row of windows needs at this width");
  }
  const std::string tmpdir =
      !job.tmpdir.empty() ? job.tmpdir : fs::absolute(io.dst).parent_path().string();
  if (!in_ram && !fs::is_directory(tmpdir)) throw std::runtime_error("--tmpdir " + tmpdir + " is not a directory");

  ConditionSource condition(
      [&source](Span rows, Span cols) {
        RasterWindow lr = source.read(rows, cols);
        return LrBlock{std::move(lr.data), std::move(lr.valid)};
      },
      source.height(), source.width(), grid);
  // Windows without a single valid LR pixel under them are skipped; decided once for all steps.
  std::vector<bool> skipped(static_cast<size_t>(grid.size()), false);
  int64_t active = grid.size();
  if (source.has_invalid_pixels()) {
    for (const Window& win : grid.windows())
      if (!condition.any_valid(grid.footprint(win))) {
        skipped[static_cast<size_t>(win.index)] = true;
        --active;
      }
  }
  if (job.dry_run) {
    const double per_window = seconds_per_window(denoiser, channels, window, std::min<int64_t>(job.batch, std::max<int64_t>(active, 2)));
    std::cout << "output:              " << width << " x " << height << " x " << channels << " (scale " << scale << ")\n"
              << "windows per step:    " << active << " of " << grid.size() << " (" << window << " px, stride "
              << (fusion == FusionMode::None ? window : stride) << ", " << to_string(fusion) << "; "
              << grid.size() - active << " without valid pixels skipped)\n"
              << "network evaluations: " << active * job.steps << " (" << job.steps << " steps)\n"
              << "canvas:              " << bytes_text(2.0 * array_bytes) << " "
              << (in_ram ? "in host RAM" : "memory-mapped under " + tmpdir) << ", at most " << bytes_text(in_ram ? 2.0 * array_bytes + band_bytes : band_bytes)
              << " of RAM (--max-ram " << bytes_text(max_ram) << ")\n"
              << "estimated time:      " << clock_time(per_window * static_cast<double>(active * job.steps)) << " on "
              << device.str() << " (" << format_number(std::round(per_window * 1e4) / 10.0) << " ms per window-step, timed)\n";
    return 0;
  }
  if (active == 0) {
    throw std::runtime_error("no valid pixels: every input pixel is NoData or masked in " + source.path());
  }
  if (!source.geotransform()) warn("sr", "input has no geotransform; the output will have none");
  if (source.crs_wkt().empty()) warn("sr", "input has no CRS; the output will have none");

  const RunSettings settings = run_settings(job, source, scale, window, stride, to_string(fusion), device);
  const std::string checkpoint = checkpoint_path(io.dst);
  int completed = 0;
  if (job.resume) {
    const CheckpointInfo info = read_checkpoint_info(checkpoint);
    const std::string difference = settings_difference(settings, info.settings);
    if (!difference.empty()) throw UsageError("cannot resume from " + checkpoint + ": " + difference);
    completed = info.steps_completed;
  } else if (fs::exists(checkpoint)) {
    warn("sr", "starting afresh; the checkpoint " + checkpoint + " of an earlier run will be replaced");
  }

  OutputSpec spec = output_spec_for(source, width, height);
  spec.metadata = diffusion_metadata(job, setup);
  spec.creation_options = io.creation_options;
  spec.overwrite = io.overwrite;
  // The writer and its staging file only exist while the output is written, so a run killed while
  // denoising leaves nothing but its checkpoint; the path is checked before the long computation.
  check_output_path(io.dst, io.overwrite);

  const auto new_array = [&] {
    return in_ram ? SceneArray::in_memory(channels, grid.extent_height(), grid.extent_width())
                  : SceneArray::mapped(tmpdir, channels, grid.extent_height(), grid.extent_width());
  };
  auto state = new_array();
  if (job.resume) {
    load_checkpoint_state(checkpoint, *state);
  } else {
    for (int64_t y = 0; y < grid.extent_height(); y += window) {
      const Region rows{y, 0, std::min(grid.extent_height(), y + window), grid.extent_width()};
      state->write(rows, initial_noise(job.seed, channels, rows));
      state->release_rows(rows.y0, rows.y1);
    }
  }
  BandCanvas canvas(std::move(state), new_array(), fuser.planes(), window);

  const InterruptGuard interrupts;
  const int total = job.steps;
  const auto started = Clock::now();
  const int first = completed;
  int ticks = -1;
  std::string message;
  const StreamingRun run{
      denoiser,
      sampler,
      fuser,
      [&condition](const Region& r) { return condition.read(r); },
      job.seed,
      job.batch,
      device,
      [&skipped](const Window& win) { return skipped[static_cast<size_t>(win.index)]; },
      [&](const SceneProgress& p) {
        if (InterruptGuard::received()) throw Interrupted{InterruptGuard::received()};
        if (io.quiet) return;
        const double done = static_cast<double>(p.step - first) * static_cast<double>(p.windows) +
                            static_cast<double>(p.windows_done);
        const double all = static_cast<double>(total - first) * static_cast<double>(p.windows);
        const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
        const double rate = done / std::max(seconds, 1e-9);
        message = "step " + std::to_string(p.step + 1) + "/" + std::to_string(total) + ", " +
                  format_number(std::round(rate * 10.0) / 10.0) + " windows/s, ETA " + clock_time((all - done) / rate);
        // Denoising takes nearly all of the time; writing and the COG copy the last 2 %.
        const double fraction = (p.step + static_cast<double>(p.windows_done) / static_cast<double>(p.windows)) / total;
        stderr_progress(0.98 * fraction, message.c_str(), &ticks);
      },
      [&](int steps_done) {
        completed = steps_done;
        if (job.checkpoint_every > 0 && steps_done % job.checkpoint_every == 0 && steps_done < total)
          save_checkpoint(checkpoint, settings, steps_done, canvas.state());
        if (InterruptGuard::received()) throw Interrupted{InterruptGuard::received()};
      }};
  try {
    run_streaming(run, canvas, completed);
    CogWriter writer(io.dst, spec);
    CanvasProcessor processor(canvas.state(), scale);
    const std::unique_ptr<void, void (*)(void*)> finish_progress(
        io.quiet ? nullptr : GDALCreateScaledProgress(0.98, 1.0, stderr_progress, &ticks), GDALDestroyScaledProgress);
    run_pipeline(source, processor, writer);
    if (InterruptGuard::received()) throw Interrupted{InterruptGuard::received()};
    writer.commit(io.quiet ? nullptr : GDALScaledProgress, finish_progress.get());
  } catch (const Interrupted& stop) {
    save_checkpoint(checkpoint, settings, completed, canvas.state());
    if (!io.quiet) std::cerr << "\n";
    std::cerr << "geosr sr: interrupted after step " << completed << " of " << total << "; state saved to "
              << checkpoint << " (finish with the same command and --resume)\n";
    return 128 + stop.signal;
  }
  fs::remove(checkpoint);
  return 0;
}

}  // namespace geosr::cli
