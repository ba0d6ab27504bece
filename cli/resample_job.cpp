#include "resample_job.hpp"

#include <climits>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "geosr/io/cog_writer.hpp"
#include "geosr/io/pipeline.hpp"
#include "geosr/io/progress.hpp"
#include "geosr/version.hpp"

namespace geosr::cli {

void check_output_size(int64_t width, int64_t height) {
  if (width < 1 || height < 1 || width > INT_MAX || height > INT_MAX) {
    throw UsageError("the output would be " + std::to_string(width) + " x " + std::to_string(height) +
                     " pixels (each side must be 1 .. 2147483647)");
  }
}

void check_not_input(const IoOptions& io) {
  std::error_code ec;
  if (std::filesystem::equivalent(io.src, io.dst, ec)) {
    throw UsageError("DST is the input file; geosr never writes over its input");
  }
}

std::string format_number(double value) {
  std::ostringstream text;
  text << std::setprecision(12) << value;
  return text.str();
}

std::map<std::string, std::string> resample_metadata(const ResampleJob& job) {
  return {{"GEOSR_METHOD", job.method}, {"GEOSR_SCALE", job.scale}, {"GEOSR_MODEL", "none"},
          {"GEOSR_STEPS", "0"},         {"GEOSR_SEED", "none"},     {"GEOSR_VERSION", kVersion}};
}

int run_resample_job(const ResampleJob& job, const RasterSource& source, const IoOptions& io) {
  if (!source.geotransform()) warn(job.command, "input has no geotransform; the output will have none");
  if (source.crs_wkt().empty()) warn(job.command, "input has no CRS; the output will have none");

  OutputSpec spec = output_spec_for(source, job.width, job.height);
  spec.metadata = resample_metadata(job);
  spec.creation_options = io.creation_options;
  spec.overwrite = io.overwrite;

  CogWriter writer(io.dst, spec);
  ResampleProcessor processor(job.kernel, source.height(), source.width(), job.height, job.width);
  // Blocks take most of the time; the COG copy (with overviews) the rest.
  int ticks = -1;
  void* pipeline_progress = io.quiet ? nullptr : GDALCreateScaledProgress(0.0, 0.8, stderr_progress, &ticks);
  void* copy_progress = io.quiet ? nullptr : GDALCreateScaledProgress(0.8, 1.0, stderr_progress, &ticks);
  struct Release {
    void* a;
    void* b;
    ~Release() {
      if (a) GDALDestroyScaledProgress(a);
      if (b) GDALDestroyScaledProgress(b);
    }
  } release{pipeline_progress, copy_progress};

  PipelineOptions options;
  if (!io.quiet) {
    options.progress = GDALScaledProgress;
    options.progress_data = pipeline_progress;
  }
  const int64_t valid = run_pipeline(source, processor, writer, options);
  if (valid == 0) {
    throw std::runtime_error("no valid pixels: every input pixel is NoData or masked in " + source.path());
  }
  writer.commit(io.quiet ? nullptr : GDALScaledProgress, copy_progress);
  return 0;
}

}  // namespace geosr::cli
