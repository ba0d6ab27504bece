#include "resample_job.hpp"

#include <climits>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "geosr/core/interrupt.hpp"
#include "geosr/core/number_text.hpp"
#include "geosr/io/pipeline.hpp"
#include "geosr/io/progress.hpp"
#include "geosr/io/raster_writer.hpp"
#include "geosr/version.hpp"

namespace geosr::cli {

void check_output_size(int64_t width, int64_t height) {
  if (width < 1 || height < 1 || width > INT_MAX || height > INT_MAX) {
    throw UsageError("the output would be " + std::to_string(width) + " x " + std::to_string(height) +
                     " pixels (each side must be 1 .. 2147483647)");
  }
}

std::map<std::string, std::string> resample_metadata(const ResampleJob& job) {
  return {{"GEOSR_METHOD", job.method}, {"GEOSR_SCALE", job.scale}, {"GEOSR_MODEL", "none"},
          {"GEOSR_STEPS", "0"},         {"GEOSR_SEED", "none"},     {"GEOSR_VERSION", kVersion}};
}

OutputSpec resample_output_spec(const ResampleJob& job, const RasterSource& source, const IoOptions& io) {
  OutputSpec spec = output_spec_for(source, job.width, job.height);
  spec.metadata.merge(resample_metadata(job));
  set_output_options(spec, io);
  return spec;
}

namespace {

// GDAL stops the block loop and the COG copy when their progress callback says FALSE: how SIGINT,
// SIGTERM and SIGHUP reach them, quiet or not.
int CPL_STDCALL progress_unless_interrupted(double complete, const char* message, void* scaled) {
  if (InterruptGuard::received()) return FALSE;
  return scaled ? GDALScaledProgress(complete, message, scaled) : TRUE;
}

void write_resampled(const ResampleJob& job, const RasterSource& source, const IoOptions& io) {
  const OutputSpec spec = resample_output_spec(job, source, io);
  check_output(spec);
  RasterWriter writer(io.dst, spec);
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
  options.progress = progress_unless_interrupted;
  options.progress_data = pipeline_progress;
  const int64_t valid = run_pipeline(source, processor, writer, options);
  if (valid == 0) {
    throw no_valid_pixels(source.path());
  }
  writer.commit(progress_unless_interrupted, copy_progress);
}

}  // namespace

int run_resample_job(const ResampleJob& job, const RasterSource& source, const IoOptions& io) {
  if (!source.geotransform()) warn(job.command, "input has no geotransform; the output will have none");
  if (source.crs_wkt().empty()) warn(job.command, "input has no CRS; the output will have none");
  const InterruptGuard interrupts;
  try {
    write_resampled(job, source, io);  // its writer removes the temporaries when it fails
  } catch (const std::exception&) {
    const int signal = InterruptGuard::received();
    if (!signal) throw;
    end_progress_line();
    std::cerr << "geosr " << job.command << ": interrupted; " << io.dst << " was not written\n";
    return 128 + signal;
  }
  return 0;
}

}  // namespace geosr::cli
