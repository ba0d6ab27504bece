#include "diffusion_scene.hpp"

#include <unistd.h>

#include <cpl_conv.h>
#include <gdal.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "geosr/core/diffusion/noise.hpp"
#include "geosr/core/exact_number.hpp"
#include "geosr/core/interrupt.hpp"
#include "geosr/core/number_text.hpp"
#include "geosr/core/runtime.hpp"
#include "geosr/io/pipeline.hpp"
#include "geosr/io/progress.hpp"
#include "geosr/io/raster_writer.hpp"
#include "geosr/io/value_survey.hpp"
#include "geosr/version.hpp"
#include "resample_job.hpp"

namespace geosr::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int64_t kWriteTile = 256;

// Hands the finished canvas to the block pipeline, so the diffusion output is written, masked and
// georeferenced exactly like every other method's. Rows already written are given back to the
// kernel, which keeps a memory-mapped canvas out of RAM while it is copied out.
class CanvasProcessor : public BlockProcessor {
 public:
  CanvasProcessor(SceneArray& state, int64_t scale) : state_(state), scale_(scale) {}
  Span source_rows(Span dst) const override { return to_source(dst); }
  Span source_cols(Span dst) const override { return to_source(dst); }
  torch::Tensor process(const torch::Tensor&, const torch::Tensor&, Span, Span, Span rows, Span cols) override {
    if (InterruptGuard::received()) throw Interrupted{InterruptGuard::received()};
    if (rows.begin > released_) {
      state_.release_rows(released_, rows.begin);
      released_ = rows.begin;
    }
    return state_.read({rows.begin, cols.begin, rows.end, cols.end}).clamp(-1.0, 1.0).cpu();
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

std::string clock_time(double seconds) {
  const auto s = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  char text[32];
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return text;
}

// What a network call on a batch of blank windows costs: seconds per window (timed), and the
// process's RAM at its peak around it (the program, the model and the batch's activations). A
// row of windows ends in a smaller batch, whose other shapes scatter the freed heap (90 MiB more
// at 128 px than batches of one size): it is run between the two full ones.
struct NetworkProbe {
  double seconds_per_window = 0.0;
  double peak_ram = 0.0;
};

NetworkProbe probe_network(const Denoiser& denoiser, int64_t channels, int64_t window, int64_t batch,
                           int64_t last_batch) {
  reset_peak_resident();
  const auto call = [&](int64_t n) {
    const auto x = torch::zeros({n, channels, window, window});
    return denoiser(x, x, torch::full({1}, 0.5f));
  };
  call(batch);  // the first call pays one-off costs (allocation, cuDNN's choices)
  if (last_batch > 0 && last_batch != batch) call(std::max<int64_t>(last_batch, 2));  // lone windows run as pairs
  const auto started = Clock::now();
  call(batch).sum().item<float>();  // waits for the device
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return {seconds / static_cast<double>(batch), std::max(peak_resident_bytes(), resident_bytes())};
}

// GDAL's block cache holds the LR's blocks and the output's dirty ones: part of the run's RAM. Its
// default, 5 % of the machine, would be more than a tight --max-ram; a user's GDAL_CACHEMAX stands.
double bounded_gdal_cache() {
  constexpr GIntBig kCache = GIntBig{64} << 20;
  if (!CPLGetConfigOption("GDAL_CACHEMAX", nullptr) && GDALGetCacheMax64() > kCache) GDALSetCacheMax64(kCache);
  return static_cast<double>(GDALGetCacheMax64());
}

}  // namespace

DiffusionScene::DiffusionScene(const DiffusionJob& job_, IoOptions& io)
    : job(job_),
      setup(prepare_settings(job_)),
      source(open_model_source(io, setup)),
      survey(survey_values(source)),
      channels(static_cast<int64_t>(source.bands().size())),
      height(source.height() * setup.scale),
      width(source.width() * setup.scale),
      fuser(setup.fuser(height, width)),
      condition(lr_reader(), source.height(), source.width(), fuser.grid()) {
  if (job.checkpoint_every < 0) throw UsageError("--checkpoint-every must be 0 (only when interrupted) or more");
  if (job.max_ram < 0) throw UsageError("--max-ram must be positive");
  check_output_size(width, height);
  // Accepted rather than refused, so one command line serves a CPU and a GPU machine.
  if (setup.device.is_cpu() && job.precision != "fp32")
    warn("sr", "--precision " + job.precision + " applies on CUDA only; the CPU computes in fp32");
  const WindowGrid& g = grid();

  // Windows without a single valid LR pixel under them are skipped; decided once for all steps.
  skip.assign(static_cast<size_t>(g.size()), false);
  active = g.size();
  if (source.has_invalid_pixels()) {
    for (const Window& win : g.windows())
      if (!condition.any_valid(g.footprint(win))) {
        skip[static_cast<size_t>(win.index)] = true;
        --active;
      }
  }

  // --max-ram bounds the whole run: the canvas gets what the program, a batch of the network and
  // GDAL's cache leave of it, measured rather than guessed (a tiny network's batch of 8 takes more
  // than a 4-megapixel canvas).
  const int64_t columns = static_cast<int64_t>(g.origins_x().size());
  const auto probe = probe_network(setup.denoiser, channels, setup.window,
                                   std::min<int64_t>(job.batch, std::max<int64_t>(active, 2)), columns % job.batch);
  seconds_per_window = probe.seconds_per_window;
  program_ram = probe.peak_ram;
  gdal_cache = bounded_gdal_cache();
  max_ram = job.max_ram > 0 ? job.max_ram : program_ram + 0.5 * available_ram_bytes();
  double canvas_ram = max_ram - program_ram - gdal_cache;
  const CanvasNeeds needs = canvas_needs(channels, g, fuser.planes());
  if (canvas_ram < needs.band)
    throw std::runtime_error("--max-ram " + bytes_text(max_ram) + " is below what this run needs: " +
                             bytes_text(program_ram) + " for the program and a batch of " + std::to_string(job.batch) +
                             " windows, " + bytes_text(gdal_cache) + " for GDAL's block cache and " +
                             bytes_text(needs.band) + " for one row of windows at this width");
  // A smaller canvas than --max-ram leaves: how tests and benchmarks force the mapped tiers on
  // small scenes without starving the program.
  if (const char* cap = CPLGetConfigOption("GEOSR_CANVAS_RAM", nullptr))
    canvas_ram = std::min(canvas_ram, parse_size(cap, "GEOSR_CANVAS_RAM"));
  const double max_device = job.max_device >= 0 ? job.max_device : 0.5 * accelerator_free_bytes(setup.device);
  std::string tmpdir = !job.tmpdir.empty() ? job.tmpdir : fs::absolute(io.dst).parent_path().string();
  plan = plan_canvas(needs, canvas_ram, max_device, setup.device, tmpdir);
  const bool mapped = plan.store == CanvasStore::Mapped || plan.condition_store == CanvasStore::Mapped;
  if (mapped && !fs::is_directory(tmpdir))
    throw std::runtime_error("--tmpdir " + tmpdir + " is not a directory");

  std::vector<int> bands;
  std::string ranges;  // what the input values mean to the model: another range, another run
  for (const auto& band : source.bands()) {
    bands.push_back(band.index);
    ranges += (ranges.empty() ? "" : ";") + exact_number(band.range.lo) + "," + exact_number(band.range.hi);
  }
  // The input and the model by content too: a scene or a model rewritten in place is another run.
  settings = {{"input", fs::weakly_canonical(source.path()).string()},
              {"input_size", std::to_string(source.width()) + "x" + std::to_string(source.height())},
              {"input_pixels", digest_text(survey.digest)},
              {"bands", join(bands)},
              {"in_range", ranges},
              {"model", fs::weakly_canonical(job.model).string()},
              {"model_bytes", std::to_string(fs::file_size(job.model))},
              {"scale", std::to_string(setup.scale)},
              {"steps", std::to_string(job.steps)},
              {"sampler", job.sampler},
              {"eta", exact_number(job.eta)},
              {"lr_consistency", exact_number(job.lr_consistency)},
              {"fusion", to_string(setup.fusion)},
              {"weights", job.weights},
              {"window", std::to_string(setup.window)},
              {"stride", std::to_string(setup.stride)},
              {"seed", std::to_string(job.seed)},
              {"precision", job.precision},
              {"device", setup.device.is_cuda() ? "cuda" : "cpu"},
              {"version", kVersion}};

  spec = output_spec_for(source, width, height);
  spec.metadata.merge(diffusion_metadata(job, setup));
  settings["model_digest"] = spec.metadata.at("GEOSR_MODEL_DIGEST");
  set_output_options(spec, io);
}

LrReader DiffusionScene::lr_reader() const {
  return [this](Span rows, Span cols) {
    RasterWindow lr = source.read(rows, cols);
    return LrBlock{std::move(lr.data), std::move(lr.valid)};
  };
}

std::vector<int64_t> DiffusionScene::active_per_row() const {
  const WindowGrid& g = grid();
  const auto cols = static_cast<int64_t>(g.origins_x().size());
  std::vector<int64_t> counts(g.origins_y().size(), 0);
  for (int64_t i = 0; i < g.size(); ++i)
    if (!skip[static_cast<size_t>(i)]) ++counts[static_cast<size_t>(i / cols)];
  return counts;
}

StreamingRun DiffusionScene::streaming_run(std::function<void(const SceneProgress&)> progress,
                                           std::function<void(int)> step_completed, int64_t first_row,
                                           int64_t last_row) {
  const auto columns = static_cast<int64_t>(grid().origins_x().size());
  const Span rows = window_rows(grid(), first_row, last_row);
  if (!condition_cache || condition_cache->rows().begin != rows.begin || condition_cache->rows().end != rows.end) {
    condition_cache.reset();  // before the new one: the plan has room for one condition, not two
    condition_cache = std::make_unique<ConditionCache>(
        condition, grid(), rows, plan.new_condition_array(channels, rows.size(), grid().extent_width()));
  }
  return {setup.denoiser,
          *setup.sampler,
          fuser,
          [this](const std::vector<Region>& footprints) { return condition_cache->read_windows(footprints); },
          job.seed,
          job.batch,
          setup.device,
          [this, columns, first_row, last_row](const Window& win) {
            const int64_t row = win.index / columns;
            return row < first_row || row >= last_row || skipped(win);
          },
          [this, progress = std::move(progress)](const SceneProgress& p) {
            // malloc keeps what a batch frees for the next one (the probe's peak counts it), and
            // the steps' allocations can scatter it past that peak (0-90 MiB at 128 px). Where
            // that would reach into GDAL's share (idle while denoising) the free pages go back
            // to the kernel: slower (they are faulted in afresh), never over the limit.
            if (resident_bytes() > max_ram - gdal_cache) release_free_heap();
            if (progress) progress(p);
          },
          std::move(step_completed)};
}

std::unique_ptr<SceneArray> DiffusionScene::new_array(int64_t rows) const {
  return plan.new_array(channels, rows, grid().extent_width());
}

std::unique_ptr<SceneArray> DiffusionScene::new_host_array(int64_t rows) const {
  CanvasPlan host = plan;
  if (host.store == CanvasStore::Device) host.store = CanvasStore::Ram;
  return host.new_array(channels, rows, grid().extent_width());
}

BandCanvas DiffusionScene::new_canvas(std::unique_ptr<SceneArray> state, SharedRows shared) const {
  const int64_t rows = state->height();
  return BandCanvas(std::move(state), new_array(rows), fuser.planes(), setup.window, std::move(shared), setup.device);
}

void DiffusionScene::write_initial_noise(SceneArray& state, int64_t y0) const {
  const int64_t window = setup.window;
  for (int64_t y = 0; y < state.height(); y += window) {
    const int64_t y1 = std::min(state.height(), y + window);
    const Region rows{y0 + y, 0, y0 + y1, state.width()};
    state.write({y, 0, y1, state.width()}, initial_noise(job.seed, channels, rows));
    state.release_rows(y, y1);
  }
}

void DiffusionScene::print_estimate(int processes) const {
  const int64_t window = setup.window;
  const double seconds = seconds_per_window * static_cast<double>(active * job.steps) / processes;
  std::cout << "output:              " << width << " x " << height << " x " << channels << " (scale " << setup.scale << "), "
            << GDALGetDataTypeName(spec.type) << " " << spec.format << "\n"
            << "windows per step:    " << active << " of " << grid().size() << " (" << window << " px, stride "
            << (setup.fusion == FusionMode::None ? window : setup.stride) << ", " << to_string(setup.fusion) << "; "
            << grid().size() - active << " without valid pixels skipped)\n"
            << "network evaluations: " << active * job.steps << " (" << job.steps << " steps)\n"
            << "canvas:              " << bytes_text(2.0 * plan.needs.array) << " " << plan.where() << "\n"
            << "condition:           " << bytes_text(plan.needs.array) << " computed once, "
            << plan.where(plan.condition_store) << "\n"
            << "memory:              "
            << (setup.device.is_cpu() ? std::string()
                                      : bytes_text(plan.device_bytes()) + " of accelerator memory (--max-device-mem " +
                                            bytes_text(plan.max_device) + "), ")
            << "at most " << bytes_text(program_ram + gdal_cache + plan.ram_bytes()) << " of RAM (--max-ram "
            << bytes_text(max_ram) << "): " << bytes_text(program_ram) << " the program and a batch, "
            << bytes_text(gdal_cache) << " GDAL's cache, " << bytes_text(plan.ram_bytes()) << " the canvas\n"
            << "estimated time:      " << clock_time(seconds) << " on " << setup.device.str()
            << (processes > 1 ? " x " + std::to_string(processes) + " processes" : "") << " ("
            << format_number(std::round(seconds_per_window * 1e4) / 10.0) << " ms per window-step, timed)\n";
}

void DiffusionScene::check_runnable() const {
  if (active == 0) {
    throw no_valid_pixels(source.path());
  }
  check_output(spec);
  warn_about_value_rule("sr", source, survey);
  if (!source.geotransform()) warn("sr", "input has no geotransform; the output will have none");
  if (source.crs_wkt().empty()) warn("sr", "input has no CRS; the output will have none");
}

void DiffusionScene::write_output(SceneArray& state, const IoOptions& io, int* ticks) const {
  RasterWriter writer(io.dst, spec);
  CanvasProcessor processor(state, setup.scale);
  const std::unique_ptr<void, void (*)(void*)> finish_progress(
      io.quiet ? nullptr : GDALCreateScaledProgress(0.98, 1.0, stderr_progress, ticks), GDALDestroyScaledProgress);
  // Output tiles of 256: writing converts a tile through float64 and its validity through int64,
  // about 30 bytes a value, which for the pipeline's default 1024 was 100 MiB outside --max-ram.
  PipelineOptions options;
  options.max_tile = kWriteTile;
  run_pipeline(source, processor, writer, options);
  if (InterruptGuard::received()) throw Interrupted{InterruptGuard::received()};
  writer.commit(io.quiet ? nullptr : GDALScaledProgress, finish_progress.get());
}

void StepProgress::operator()(const SceneProgress& p) {
  if (quiet_) return;
  const double done = static_cast<double>(p.step - first_) * static_cast<double>(p.windows) +
                      static_cast<double>(p.windows_done);
  const double all = static_cast<double>(steps_ - first_) * static_cast<double>(p.windows);
  const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  const double rate = done / std::max(seconds, 1e-9);
  message_ = "step " + std::to_string(p.step + 1) + "/" + std::to_string(steps_) + ", " +
             format_number(std::round(rate * 10.0) / 10.0) + " windows/s, ETA " + clock_time((all - done) / rate);
  // Denoising takes nearly all of the time; writing and the COG copy the last 2 %.
  const double fraction = (p.step + static_cast<double>(p.windows_done) / static_cast<double>(p.windows)) / steps_;
  stderr_progress(0.98 * fraction, message_.c_str(), &ticks_);
}

}  // namespace geosr::cli
