// geosr info: what the raster is, and what geosr would do with it by default.

#include <cmath>
#include <iostream>

#include <ogr_spatialref.h>

#include "commands.hpp"
#include "diffusion_job.hpp"
#include "geosr/core/network/model_file.hpp"
#include "geosr/core/number_text.hpp"
#include "geosr/io/georef.hpp"
#include "geosr/io/output_format.hpp"
#include "resample_job.hpp"

namespace geosr::cli {
namespace {

std::string crs_summary(const std::string& wkt) {
  if (wkt.empty()) return "none";
  OGRSpatialReference srs;
  if (srs.importFromWkt(wkt.c_str()) != OGRERR_NONE) return "unreadable";
  std::string text = srs.GetName() ? srs.GetName() : "unnamed";
  const char* authority = srs.GetAuthorityName(nullptr);
  const char* code = srs.GetAuthorityCode(nullptr);
  if (authority && code) text += std::string(" (") + authority + ":" + code + ")";
  return text;
}

// What the default `geosr sr` (diffusion with $GEOSR_MODEL or the bundled model) makes of it.
std::string diffusion_summary(const RasterSource& source, bool bands_chosen) {
  Metadata metadata;
  try {
    const UNet model = load_model(default_model_path(), &metadata);
    const auto scale = metadata.count("geosr.scale") ? std::stoll(metadata.at("geosr.scale")) : 0;
    if (scale < 2) return "diffusion needs --scale with this model";
    // As `geosr sr` selects them: the bands given with -b, else the first ones the model takes.
    const int64_t channels = model->config().image_channels();
    const auto available = static_cast<int64_t>(source.bands().size());
    const int64_t selected = bands_chosen ? available : std::min(available, channels);
    if (selected != channels)
      return "diffusion with the default model needs " + std::to_string(channels) + " bands, " +
             (bands_chosen ? "-b selects " : "the raster has ") + std::to_string(selected);
    return "diffusion with the default model (" + std::to_string(model->config().image_channels()) + " bands, " +
           std::to_string(scale) + "x) gives " + std::to_string(source.width() * scale) + " x " +
           std::to_string(source.height() * scale) + " pixels";
  } catch (const std::exception& e) {
    return std::string("diffusion needs a model (--model or $GEOSR_MODEL): ") + e.what();
  }
}

std::string mask_summary(const BandInfo& band) {
  if (band.mask_flags & GMF_ALL_VALID) return "all valid";
  if (band.mask_flags & GMF_NODATA) return "NoData value";
  if (band.mask_flags & GMF_ALPHA) return band.color == GCI_AlphaBand ? "alpha band" : "alpha band (ignored when processed)";
  if (band.mask_flags & GMF_PER_DATASET) return "per-dataset mask";
  return "mask band";
}

}  // namespace

int info_command(const std::vector<std::string>& arguments) {
  return guarded("info", [&] {
    std::vector<std::string> args = arguments;
    apply_config_options(args);
    po::variables_map values;
    if (!parse("info", "[options] SRC", args, io_options(Writes::Nothing), false, values)) return 0;
    const IoOptions io = read_io_options(values, Writes::Nothing);
    const RasterSource source(io.src, io.bands, io.in_ranges);

    std::cout << "File: " << source.path() << "\n"
              << "Driver: " << source.driver_name() << "\n"
              << "Size: " << source.width() << " x " << source.height() << " pixels, " << source.bands().size()
              << " band(s) selected\n"
              << "Block: " << source.block_size()[0] << " x " << source.block_size()[1] << "\n"
              << "CRS: " << crs_summary(source.crs_wkt()) << "\n";
    if (const auto& gt = source.geotransform()) {
      const auto size = pixel_size(*gt);
      std::cout << "Geotransform: " << format_number((*gt)[0]) << ", " << format_number((*gt)[1]) << ", "
                << format_number((*gt)[2]) << ", " << format_number((*gt)[3]) << ", " << format_number((*gt)[4])
                << ", " << format_number((*gt)[5]) << "\n"
                << "Pixel size: " << format_number(size[0]) << " x " << format_number(size[1])
                << ((*gt)[2] != 0.0 || (*gt)[4] != 0.0 ? " (rotated)" : "") << "\n";
    } else {
      std::cout << "Geotransform: none\n";
    }
    for (const auto& band : source.bands()) {
      std::cout << "Band " << band.index << ": " << GDALGetDataTypeName(band.type) << ", "
                << GDALGetColorInterpretationName(band.color);
      if (!band.description.empty()) std::cout << ", \"" << band.description << "\"";
      std::cout << ", NoData " << (band.nodata ? format_number(*band.nodata) : std::string("none")) << ", mask "
                << mask_summary(band) << ", values " << format_number(band.range.lo) << " .. "
                << format_number(band.range.hi) << " -> [-1, 1]\n";
    }
    std::cout << "geosr defaults:\n"
              << "  sr: " << diffusion_summary(source, !io.bands.empty()) << "; --method bicubic takes --scale S or --tr XRES YRES\n"
              << "  degrade: "
              << (source.width() < 5 || source.height() < 5
                      ? std::string("the raster is smaller than the default --scale 5")
                      : "--scale 5 (area) gives " + std::to_string(std::llround(source.width() / 5.0)) + " x " +
                            std::to_string(std::llround(source.height() / 5.0)) + " pixels")
              << "\n"
              << "  output: COG, " << GDALGetDataTypeName(source.data_type()) << ", invalid pixels as "
              << (source.bands().front().nodata ? "NoData" : source.has_invalid_pixels() ? "internal mask" : "none (all valid)")
              << ", options";
    for (const auto& option : default_creation_options("COG")) std::cout << " " << option;
    std::cout << "\n";
    return 0;
  });
}

}  // namespace geosr::cli
