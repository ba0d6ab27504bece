// geosr degrade: the LR half of an LR/HR pair, by area downsampling (cv::resize INTER_AREA) by an
// integer factor, exactly as the method's training pipeline degrades its HR tiles.

#include <cmath>

#include "commands.hpp"
#include "geosr/core/number_text.hpp"
#include "resample_job.hpp"

namespace geosr::cli {

int degrade_command(const std::vector<std::string>& arguments) {
  return guarded("degrade", [&] {
    std::vector<std::string> args = arguments;
    apply_config_options(args);
    auto options = io_options(Writes::Raster, /*value_rule=*/false);  // area averaging works on the values as they are
    options.add_options()("scale", po::value<double>()->default_value(5.0)->value_name("S"),
                          "integer reduction factor >= 2 (5: Planet 3 m from NAIP 0.6 m)");
    po::variables_map values;
    if (!parse("degrade", "[options] [--scale S] SRC DST", args, options, true, values)) return 0;
    const IoOptions io = read_io_options(values, Writes::Raster);
    const double scale = values["scale"].as<double>();
    if (!std::isfinite(scale) || scale < 2.0 || scale != std::floor(scale) || scale > 1e6) {
      throw UsageError("--scale must be an integer >= 2 (got " + format_number(scale) + ")");
    }
    check_not_input(io.src, io.dst);

    const RasterSource source(io.src, io.bands, io.in_ranges);
    const auto factor = static_cast<int64_t>(scale);
    if (source.width() < factor || source.height() < factor) {
      throw std::runtime_error("input " + std::to_string(source.width()) + " x " + std::to_string(source.height()) +
                               " is smaller than the scale " + std::to_string(factor));
    }
    // Rounded, and the geotransform spans the input's extent exactly, so that `geosr sr` of the
    // result lands on the original grid even when the size is not a multiple of the scale.
    ResampleJob job{"degrade", ResampleKernel::Area,
                    std::llround(static_cast<double>(source.width()) / scale),
                    std::llround(static_cast<double>(source.height()) / scale), "area", format_number(scale)};
    if (source.width() % factor != 0 || source.height() % factor != 0) {
      warn("degrade", std::to_string(source.width()) + " x " + std::to_string(source.height()) +
                          " is not a multiple of " + std::to_string(factor) + "; the output is " +
                          std::to_string(job.width) + " x " + std::to_string(job.height) +
                          " pixels over the same extent");
    }
    return run_resample_job(job, source, io);
  });
}

}  // namespace geosr::cli
