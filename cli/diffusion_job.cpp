#include "diffusion_job.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "geosr/core/canvas/scene_sampler.hpp"
#include "geosr/core/network/model_file.hpp"
#include "geosr/core/resample/resample.hpp"
#include "geosr/core/train/model_metadata.hpp"
#include "geosr/io/cog_writer.hpp"
#include "geosr/io/pipeline.hpp"
#include "geosr/io/progress.hpp"
#include "geosr/version.hpp"
#include "resample_job.hpp"

namespace geosr::cli {
namespace {

// Hands the already computed scene to the block pipeline, so the diffusion output is written,
// masked and georeferenced exactly like every other method's. It needs no input halo.
class PrecomputedProcessor : public BlockProcessor {
 public:
  PrecomputedProcessor(torch::Tensor result, int64_t scale) : result_(std::move(result)), scale_(scale) {}
  Span source_rows(Span dst) const override { return to_source(dst); }
  Span source_cols(Span dst) const override { return to_source(dst); }
  torch::Tensor process(const torch::Tensor&, Span, Span, Span dst_rows, Span dst_cols) override {
    return result_.slice(1, dst_rows.begin, dst_rows.end).slice(2, dst_cols.begin, dst_cols.end);
  }

 private:
  Span to_source(Span dst) const { return {dst.begin / scale_, (dst.end - 1) / scale_ + 1}; }
  torch::Tensor result_;
  int64_t scale_;
};

int64_t metadata_integer(const Metadata& metadata, const std::string& key) {
  const auto it = metadata.find(key);
  return it == metadata.end() ? 0 : std::stoll(it->second);
}

double available_ram_bytes() {
  return static_cast<double>(sysconf(_SC_AVPHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

torch::Device parse_device(const std::string& name) {
  if (name != "cpu" && name.rfind("cuda", 0) != 0) throw UsageError("--device must be cpu, cuda or cuda:N (got '" + name + "')");
  if (name != "cpu" && !torch::cuda::is_available()) {
    throw std::runtime_error("--device " + name + ": no CUDA device is available to this build of LibTorch");
  }
  try {
    return torch::Device(name);
  } catch (const std::exception&) {
    throw UsageError("--device must be cpu, cuda or cuda:N (got '" + name + "')");
  }
}

std::string gib(double bytes) { return format_number(std::round(bytes / (1 << 30) * 100.0) / 100.0) + " GiB"; }

}  // namespace

std::string default_model_path() {
  if (const char* env = std::getenv("GEOSR_MODEL"); env && *env) return env;
  return GEOSR_DEFAULT_MODEL;
}

int run_diffusion_job(const DiffusionJob& job, IoOptions io) {
  Metadata metadata;
  UNet model = load_model(job.model, &metadata);
  const UNetConfig& config = model->config();
  if (io.bands.empty()) {
    const RasterSource probe(io.src);
    if (static_cast<int64_t>(probe.bands().size()) > config.image_channels()) {
      for (int b = 1; b <= config.image_channels(); ++b) io.bands.push_back(b);
    }
  }
  const RasterSource source(io.src, io.bands, io.in_ranges);

  const auto channels = static_cast<int64_t>(source.bands().size());
  if (channels != config.image_channels()) {
    throw UsageError("the model takes " + std::to_string(config.image_channels()) + " bands but " +
                     std::to_string(channels) + " are selected (choose them with -b)");
  }
  const int64_t model_scale = metadata_integer(metadata, "geosr.scale");
  const int64_t scale = job.scale > 0 ? job.scale : model_scale;
  if (scale < 2) throw UsageError("the model records no scale; give --scale");
  if (model_scale > 0 && scale != model_scale) {
    throw UsageError("the model was trained for " + std::to_string(model_scale) + "x; --scale " +
                     std::to_string(scale) + " would condition it on blur it has never seen");
  }
  const int64_t multiple = int64_t{1} << (config.channel_mults.size() - 1);
  const int64_t window = job.window > 0 ? job.window : (128 + multiple - 1) / multiple * multiple;
  if (window % multiple != 0) {
    throw UsageError("--window " + std::to_string(window) + " must be a multiple of " + std::to_string(multiple) +
                     " for this network");
  }
  const int64_t stride = job.stride > 0 ? job.stride : window * 3 / 4;
  if (stride > window) throw UsageError("--stride must not exceed --window (windows would leave gaps)");
  const ScheduleSpec schedule_spec = schedule_of(metadata);
  if (job.steps < 1 || job.steps > schedule_spec.steps) {
    throw UsageError("--steps must be 1 .. " + std::to_string(schedule_spec.steps) + " (the training schedule)");
  }
  if (job.batch < 1) throw UsageError("--batch must be at least 1");
  const FusionMode fusion = parse_fusion_mode(job.fusion);
  const WeightKind weights = parse_weight_kind(job.weights);
  const auto sampler = make_sampler(parse_sampler_kind(job.sampler), schedule_spec.make().respaced(job.steps), job.eta);
  const torch::Device device = parse_device(job.device);
  const Precision precision = parse_precision(job.precision);

  const int64_t height = source.height() * scale, width = source.width() * scale;
  check_output_size(width, height);
  const WindowGrid grid = make_grid(fusion, height, width, window, stride);
  // Condition, state, fixed-point accumulator planes and the result, all (C, H, W).
  const double canvas_bytes = static_cast<double>(channels) * static_cast<double>(grid.extent_height()) *
                              static_cast<double>(grid.extent_width()) * (4.0 + 4.0 + 8.0 * 2 + 4.0);
  if (job.dry_run) {
    std::cout << "output:              " << width << " x " << height << " x " << channels << " (scale " << scale << ")\n"
              << "windows per step:    " << grid.size() << " (" << window << " px, stride " << stride << ", "
              << to_string(fusion) << ")\n"
              << "network evaluations: " << grid.size() * job.steps << " (" << job.steps << " steps)\n"
              << "canvas:              " << gib(canvas_bytes) << " in host RAM (" << gib(available_ram_bytes())
              << " available)\n";
    return 0;
  }
  if (canvas_bytes > 0.8 * available_ram_bytes()) {
    throw std::runtime_error("the scene's canvas needs " + gib(canvas_bytes) + " of RAM and " +
                             gib(available_ram_bytes()) + " is available; process it in parts");
  }
  if (!source.geotransform()) warn("sr", "input has no geotransform; the output will have none");
  if (source.crs_wkt().empty()) warn("sr", "input has no CRS; the output will have none");

  const RasterWindow lr = source.read({0, source.height()}, {0, source.width()});
  if (!lr.valid.any().item<bool>()) {
    throw std::runtime_error("no valid pixels: every input pixel is NoData or masked in " + source.path());
  }
  const torch::Tensor condition = condition_from_lr(lr.data, height, width);

  OutputSpec spec = output_spec_for(source, width, height);
  spec.metadata = {{"GEOSR_METHOD", "diffusion"},
                   {"GEOSR_SCALE", std::to_string(scale)},
                   {"GEOSR_MODEL", std::filesystem::path(job.model).filename().string()},
                   {"GEOSR_STEPS", std::to_string(job.steps)},
                   {"GEOSR_SEED", std::to_string(job.seed)},
                   {"GEOSR_SAMPLER", job.sampler},
                   {"GEOSR_FUSION", to_string(fusion)},
                   {"GEOSR_GRID", std::to_string(window) + "," + std::to_string(fusion == FusionMode::None ? window : stride)},
                   {"GEOSR_VERSION", kVersion}};
  spec.creation_options = io.creation_options;
  spec.overwrite = io.overwrite;
  CogWriter writer(io.dst, spec);  // checks the output path before the long computation

  // Denoising takes nearly all of the time; writing and the COG copy the last 2 %.
  int ticks = -1;
  SceneSamplerOptions options;
  options.fusion = fusion;
  options.window = window;
  options.stride = stride;
  options.weights = weights;
  options.batch = job.batch;
  options.seed = job.seed;
  options.device = device;
  if (!io.quiet) {
    options.progress = [&](const SceneProgress& p) {
      const double done = (p.step + static_cast<double>(p.windows_done) / static_cast<double>(std::max<int64_t>(p.windows, 1))) /
                          p.steps;
      stderr_progress(0.98 * done, nullptr, &ticks);
    };
  }
  const torch::Tensor result = sample_scene(make_denoiser(model, device, precision), *sampler, condition, options);

  PrecomputedProcessor processor(result, scale);
  const std::unique_ptr<void, void (*)(void*)> finish_progress(
      io.quiet ? nullptr : GDALCreateScaledProgress(0.98, 1.0, stderr_progress, &ticks), GDALDestroyScaledProgress);
  run_pipeline(source, processor, writer);
  writer.commit(io.quiet ? nullptr : GDALScaledProgress, finish_progress.get());
  return 0;
}

}  // namespace geosr::cli
