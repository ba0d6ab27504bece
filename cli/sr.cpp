// geosr sr: super-resolve SRC to DST, by bicubic interpolation (block-wise) or by InfScene-SR joint
// diffusion denoising with a trained model (diffusion_job.hpp).

#include <cctype>
#include <cmath>
#include <iostream>

#include "commands.hpp"
#include "geosr/core/number_text.hpp"
#include "geosr/io/output_spec.hpp"
#include "geosr/io/raster_source.hpp"
#include "geosr/io/raster_writer.hpp"
#include "sr_request.hpp"

namespace geosr::cli {
namespace {

void check_scale(double scale, const std::string& what) {
  if (!std::isfinite(scale)) throw UsageError(what + " must be a finite number (got " + format_number(scale) + ")");
  if (scale <= 1.0) {
    throw UsageError(what + " must be greater than 1 (got " + format_number(scale) + "); geosr sr only enlarges");
  }
  if (scale > kMaxScale) {
    throw UsageError(what + " " + format_number(scale) + " is absurdly large (at most " +
                     format_number(static_cast<double>(kMaxScale)) + ")");
  }
}

}  // namespace

std::optional<SrRequest> parse_sr_request(const std::vector<std::string>& arguments) {
  std::vector<std::string> args = arguments;
  apply_config_options(args);
  const auto tr = take_option(args, "--tr", 2);
  auto options = io_options(Writes::Raster);
  options.add_options()
      ("method", po::value<std::string>()->default_value("diffusion"), "diffusion (the bundled or --model model) | bicubic")
      ("scale", po::value<double>()->value_name("S"), "enlargement factor (> 1, at most 100)")
      ("tr", po::value<std::string>()->value_name("XRES YRES"),
       "target pixel size in georeferenced units instead of --scale");
  po::options_description diffusion = diffusion_options("Diffusion options (--method diffusion)");
  diffusion.add_options()
      ("dry-run", po::bool_switch(), "print the work, memory and estimated time the job needs, compute nothing (bicubic too)")
      ("max-ram", po::value<std::string>()->value_name("SIZE"), "RAM the whole run may use (the program, a batch of the network, GDAL's cache and the canvas), e.g. 512M, 8G (default: the program and a batch plus half the available); past it the canvas is memory-mapped under --tmpdir")
      ("max-device-mem", po::value<std::string>()->value_name("SIZE"), "accelerator memory the canvas may use with --device cuda (default: half the free); past it the canvas stays in host memory, 0 keeps it there")
      ("tmpdir", po::value<std::string>()->value_name("DIR"), "directory for a memory-mapped canvas (default: the output's)")
      ("checkpoint-every", po::value<int>()->default_value(10), "steps between checkpoints beside the output (0: only on SIGINT/SIGTERM/SIGHUP)")
      ("resume", po::bool_switch(), "continue an interrupted run from DST.geosr-checkpoint (same options)")
      ("split-rows", po::value<int>()->value_name("K"), "denoise K independent row bands and blend them (docs/hpc.md)")
      ("split-part", po::value<int>()->value_name("I"), "with --split-rows: compute only band I (1..K) into DST.partIofK")
      ("split-halo", po::value<int64_t>()->default_value(1)->value_name("N"), "rows of windows each band denoises beyond its own");
#ifdef GEOSR_WITH_MPI
  diffusion.add_options()("mpi", po::bool_switch(), "one rank of an MPI job: mpirun -np N geosr sr --mpi ... (docs/hpc.md)");
#endif
  options.add(diffusion);
  po::variables_map values;
  if (!parse("sr", "[options] (--scale S | --tr XRES YRES) SRC DST", args, options, true, values)) return std::nullopt;
  SrRequest request;
  request.io = read_io_options(values, Writes::Raster);

  request.method = values["method"].as<std::string>();
  if (request.method != "bicubic" && request.method != "diffusion") {
    throw UsageError("unknown method '" + request.method + "' (available: bicubic, diffusion)");
  }
  // Only "--tr=X" is left for Boost's (help-only) entry: two values cannot follow an "=".
  if (values.count("tr")) throw UsageError("--tr takes two values: --tr XRES YRES");
  if (values.count("scale") && !tr.empty()) throw UsageError("give either --scale or --tr, not both");
  if (tr.size() > 1) throw UsageError("--tr given more than once");
  if (values.count("scale")) check_scale(values["scale"].as<double>(), "--scale");
  request.xres = tr.empty() ? 0.0 : parse_positive(tr[0][0], "--tr XRES");
  request.yres = tr.empty() ? 0.0 : parse_positive(tr[0][1], "--tr YRES");
  check_not_input(request.io.src, request.io.dst);
  request.dry_run = values["dry-run"].as<bool>();
  // The value rule maps to the model's range and back: without a model it would change nothing.
  if (request.method == "bicubic" && values.count("in-range"))
    throw UsageError("--in-range applies to --method diffusion; bicubic interpolates the values as they are");
  if (request.method == "bicubic") {  // given diffusion options would be ignored: --resume, --steps, ...
    for (const auto& option : diffusion.options()) {
      const std::string& name = option->long_name();
      if (name != "dry-run" && values.count(name) && !values[name].defaulted())
        throw UsageError("--" + name + " applies to --method diffusion, not bicubic");
    }
  }

  if (request.method == "diffusion") {
    if (!tr.empty()) {
      throw UsageError("--tr needs --method bicubic; the diffusion model works at its own scale (--scale or none)");
    }
    DiffusionJob& job = request.diffusion;
    static_cast<DiffusionSettings&>(job) = read_diffusion_settings(values);
    check_not_input(job.model, request.io.dst);
    job.dry_run = request.dry_run;
    if (values.count("max-ram")) job.max_ram = parse_size(values["max-ram"].as<std::string>(), "--max-ram");
    if (values.count("max-device-mem")) {
      job.max_device = parse_size(values["max-device-mem"].as<std::string>(), "--max-device-mem", /*allow_zero=*/true);
      if (job.device.rfind("cuda", 0) != 0)
        throw UsageError("--max-device-mem applies to --device cuda; on " + job.device + " the canvas lives in RAM (--max-ram)");
    }
    if (values.count("tmpdir")) job.tmpdir = values["tmpdir"].as<std::string>();
    job.checkpoint_every = values["checkpoint-every"].as<int>();
    job.resume = values["resume"].as<bool>();
    job.mpi = values.count("mpi") && values["mpi"].as<bool>();
    // 0 in the job means "not split": a given 0 (a Slurm array's 0-based task id) must not run the whole scene.
    if (values.count("split-rows")) {
      job.split_rows = values["split-rows"].as<int>();
      if (job.split_rows < 1) throw UsageError("--split-rows must be 1 or more");
    }
    if (values.count("split-part")) {
      job.split_part = values["split-part"].as<int>();
      if (job.split_part < 1) throw UsageError("--split-part counts bands from 1 (1 .. K)");
    }
    job.split_halo = values["split-halo"].as<int64_t>();
    if (!values["split-halo"].defaulted() && !values.count("split-rows"))
      throw UsageError("--split-halo applies to --split-rows");
    if (job.mpi && job.split_rows) throw UsageError("--mpi and --split-rows are two ways to split a scene: choose one");
    return request;
  }
  if (!values.count("scale") && tr.empty()) throw UsageError("give --scale S or --tr XRES YRES");
  if (values.count("scale")) request.scale = values["scale"].as<double>();
  return request;
}

ResampleJob bicubic_job(const SrRequest& request, const RasterSource& source) {
  ResampleJob job{"sr", ResampleKernel::Cubic, 0, 0, "bicubic", ""};
  if (request.scale > 0.0) {
    job.width = std::llround(static_cast<double>(source.width()) * request.scale);
    job.height = std::llround(static_cast<double>(source.height()) * request.scale);
    job.scale = format_number(request.scale);
  } else {
    if (!source.geotransform()) throw std::runtime_error("--tr needs a georeferenced input; " + source.path() + " has no geotransform");
    const auto size = pixel_size(*source.geotransform());
    const double sx = size[0] / request.xres, sy = size[1] / request.yres;
    check_scale(sx, "the scale --tr implies along x");
    check_scale(sy, "the scale --tr implies along y");
    job.width = std::llround(static_cast<double>(source.width()) * sx);
    job.height = std::llround(static_cast<double>(source.height()) * sy);
    job.scale = sx == sy ? format_number(sx) : format_number(sx) + "," + format_number(sy);
  }
  if (job.width == source.width() && job.height == source.height())
    throw UsageError("the scale " + job.scale + " leaves the " + std::to_string(source.width()) + " x " +
                     std::to_string(source.height()) + " input at its size; geosr sr only enlarges");
  check_output_size(job.width, job.height);
  return job;
}

SrOutputForecast::SrOutputForecast(const SrRequest& request) : request_(request) {
  if (request_.method != "diffusion") return;
  DiffusionSettings settings = request_.diffusion;
  settings.device = "cpu";
  settings.precision = "fp32";
  const DiffusionSetup setup = prepare_settings(settings);
  diffusion_scale_ = setup.scale;
  diffusion_channels_ = setup.channels;
  diffusion_metadata_ = diffusion_metadata(request_.diffusion, setup);
}

SrOutput SrOutputForecast::operator()(const std::string& src) const {
  IoOptions io = request_.io;
  io.src = src;
  if (request_.method == "diffusion") {
    const RasterSource source = open_model_input(src, io.bands, io.in_ranges, diffusion_channels_, "-b");
    const int64_t width = source.width() * diffusion_scale_, height = source.height() * diffusion_scale_;
    auto metadata = output_spec_for(source, width, height).metadata;
    metadata.merge(std::map<std::string, std::string>(diffusion_metadata_));
    return {width, height, metadata};
  }
  const RasterSource source(src, io.bands, io.in_ranges);
  const ResampleJob job = bicubic_job(request_, source);
  return {job.width, job.height, resample_output_spec(job, source, io).metadata};
}

int sr_command(const std::vector<std::string>& arguments) {
  return guarded("sr", [&] {
    const auto request = parse_sr_request(arguments);
    if (!request) return 0;
    if (request->method == "diffusion") return run_diffusion_job(request->diffusion, request->io);
    const RasterSource source(request->io.src, request->io.bands, request->io.in_ranges);
    const ResampleJob job = bicubic_job(*request, source);
    if (request->dry_run) {  // refuses what the run would refuse
      if (!source.any_valid()) throw no_valid_pixels(source.path());
      check_output(resample_output_spec(job, source, request->io));
      check_output_path(request->io.dst, request->io.overwrite);
      std::cout << "output:              " << job.width << " x " << job.height << " x " << source.bands().size()
                << " (bicubic, scale " << job.scale << "), " << GDALGetDataTypeName(source.data_type()) << " "
                << request->io.format << "\n";
      return 0;
    }
    return run_resample_job(job, source, request->io);
  });
}

}  // namespace geosr::cli
