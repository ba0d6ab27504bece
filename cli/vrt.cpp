// geosr vrt: writes a VRT whose bands are the geosr_sr pixel function over SRC's bands, resampled
// to the HR grid. Any GDAL program reads it once the plugin is on GDAL_DRIVER_PATH (docs/gdal.md).

#include <cctype>
#include <filesystem>
#include <optional>
#include <sstream>

#include <cpl_string.h>
#include <ogr_spatialref.h>

#include "commands.hpp"
#include "diffusion_job.hpp"
#include "geosr/core/exact_number.hpp"
#include "geosr/io/georef.hpp"
#include "geosr/io/output_spec.hpp"
#include "geosr/io/raster_writer.hpp"
#include "geosr/io/value_survey.hpp"
#include "options.hpp"
#include "resample_job.hpp"

namespace geosr::cli {
namespace {

namespace fs = std::filesystem;

std::string xml(const std::string& text) {
  char* escaped = CPLEscapeString(text.c_str(), -1, CPLES_XML);
  std::string out = escaped;
  CPLFree(escaped);
  return out;
}

// The source as the VRT names it, opened from anywhere: a file made absolute, an archive's relative
// path inside /vsizip/ and the like too; other GDAL names (GTIFF_DIR:1:x.tif, NETCDF:...) as given.
std::string source_name(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) return fs::absolute(path).string();
  for (const std::string prefix : {"/vsizip/", "/vsitar/", "/vsigzip/", "/vsi7z/", "/vsirar/"}) {
    if (path.rfind(prefix, 0) != 0) continue;
    const std::string inner = path.substr(prefix.size());
    if (!inner.empty() && inner.front() != '/' && inner.front() != '{' && inner.rfind("/vsi", 0) != 0)
      return prefix + fs::absolute(inner).string();
  }
  return path;
}

// Which CRS axis each data axis is: x, y as GDAL's datasets read the CRS (east, north first), so a
// lat/lon CRS such as EPSG:4326 is "2,1".
std::string axis_mapping(const std::string& wkt) {
  OGRSpatialReference srs;
  if (srs.importFromWkt(wkt.c_str()) != OGRERR_NONE) return "1,2";
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::string text;
  for (const int axis : srs.GetDataAxisToSRSAxisMapping()) text += (text.empty() ? "" : ",") + std::to_string(axis);
  return text;
}

std::string vrt_text(const RasterSource& source, const DiffusionSettings& s, const DiffusionSetup& setup) {
  const int64_t w = source.width() * setup.scale, h = source.height() * setup.scale;
  const std::string path = xml(source_name(source.path()));
  // All input bands' value rules, the same list in every output band: each band's pixel function
  // maps every source with its own rule, and the bands share one denoised request.
  std::string ranges;
  for (const BandInfo& band : source.bands())
    ranges += (ranges.empty() ? "" : ",") + exact_number(band.range.lo) + "," + exact_number(band.range.hi);
  std::ostringstream out;
  out << "<VRTDataset rasterXSize=\"" << w << "\" rasterYSize=\"" << h << "\">\n";
  if (!source.crs_wkt().empty()) {
    out << "  <SRS dataAxisToSRSAxisMapping=\"" << axis_mapping(source.crs_wkt()) << "\">" << xml(source.crs_wkt())
        << "</SRS>\n";
  }
  if (const auto& gt = source.geotransform()) {
    const GeoTransform t = resampled_geotransform(*gt, source.width(), source.height(), w, h);
    out << "  <GeoTransform>";
    for (size_t i = 0; i < t.size(); ++i) out << (i ? ", " : "") << exact_number(t[i]);
    out << "</GeoTransform>\n";
  }
  out << "  <Metadata>\n    <MDI key=\"GEOSR_METHOD\">diffusion</MDI>\n    <MDI key=\"GEOSR_SCALE\">" << setup.scale
      << "</MDI>\n    <MDI key=\"GEOSR_STEPS\">" << s.steps << "</MDI>\n    <MDI key=\"GEOSR_SEED\">" << s.seed
      << "</MDI>\n    <MDI key=\"GEOSR_GRID\">" << setup.window << "," << setup.stride << "</MDI>\n";
  if (!source.area_or_point().empty())
    out << "    <MDI key=\"AREA_OR_POINT\">" << xml(source.area_or_point()) << "</MDI>\n";
  out << "  </Metadata>\n";
  const char* type = GDALGetDataTypeName(source.data_type());
  // The NoData value `geosr sr` would write, for every band.
  const std::optional<double> nodata = output_spec_for(source, w, h).nodata;
  for (size_t b = 0; b < source.bands().size(); ++b) {
    const BandInfo& band = source.bands()[b];
    out << "  <VRTRasterBand dataType=\"" << type << "\" band=\"" << b + 1 << "\" subClass=\"VRTDerivedRasterBand\">\n"
        << "    <ColorInterp>" << GDALGetColorInterpretationName(band.color) << "</ColorInterp>\n";
    if (nodata) out << "    <NoDataValue>" << exact_number(*nodata) << "</NoDataValue>\n";
    if (!band.unit.empty()) out << "    <UnitType>" << xml(band.unit) << "</UnitType>\n";
    if (band.offset != 0.0) out << "    <Offset>" << exact_number(band.offset) << "</Offset>\n";
    if (band.scale != 1.0) out << "    <Scale>" << exact_number(band.scale) << "</Scale>\n";
    // Every output band reads all the model's input bands; Float32 keeps the cubic condition's
    // fractions, so the value range is given explicitly rather than taken from the transfer type.
    out << "    <PixelFunctionType>geosr_sr</PixelFunctionType>\n"
        << "    <SourceTransferType>Float32</SourceTransferType>\n"
        << "    <PixelFunctionArguments band=\"" << b + 1 << "\" model=\"" << xml(fs::absolute(s.model).string())
        << "\" steps=\"" << s.steps << "\" seed=\"" << s.seed << "\" sampler=\"" << xml(s.sampler) << "\" eta=\""
        << exact_number(s.eta) << "\" lr_consistency=\"" << exact_number(s.lr_consistency) << "\" fusion=\""
        << xml(s.fusion) << "\" weights=\"" << xml(s.weights) << "\" window=\"" << setup.window << "\" stride=\""
        << setup.stride << "\" batch=\"" << s.batch << "\" device=\"" << xml(s.device)
        << "\" precision=\"" << xml(s.precision) << "\" size=\"" << w << "," << h << "\" in_range=\"" << ranges << "\""
        << (nodata ? " nodata=\"" + exact_number(*nodata) + "\" masks=\"" + std::to_string(source.bands().size()) + "\""
                   : std::string())
        << "/>\n";
    const std::string rects = "      <SrcRect xOff=\"0\" yOff=\"0\" xSize=\"" + std::to_string(source.width()) +
                              "\" ySize=\"" + std::to_string(source.height()) + "\"/>\n" +
                              "      <DstRect xOff=\"0\" yOff=\"0\" xSize=\"" + std::to_string(w) + "\" ySize=\"" +
                              std::to_string(h) + "\"/>\n";
    for (const BandInfo& input : source.bands()) {
      out << "    <ComplexSource resampling=\"cubic\">\n"
          << "      <SourceFilename relativeToVRT=\"0\">" << path << "</SourceFilename>\n"
          << "      <SourceBand>" << input.index << "</SourceBand>\n"
          << rects;
      if (input.nodata) out << "      <NODATA>" << exact_number(*input.nodata) << "</NODATA>\n";
      out << "    </ComplexSource>\n";
    }
    // The bands' masks, nearest: an output pixel is valid where the LR pixel under it is, as
    // `geosr sr` decides (the cubic sources above also fill a rim of invalid pixels).
    if (nodata) {
      for (const BandInfo& input : source.bands()) {
        out << "    <SimpleSource resampling=\"nearest\">\n"
            << "      <SourceFilename relativeToVRT=\"0\">" << path << "</SourceFilename>\n"
            << "      <SourceBand>mask," << input.index << "</SourceBand>\n"
            << rects << "    </SimpleSource>\n";
      }
    }
    out << "  </VRTRasterBand>\n";
  }
  out << "</VRTDataset>\n";
  return out.str();
}

}  // namespace

int vrt_command(const std::vector<std::string>& arguments) {
  return guarded("vrt", [&] {
    std::vector<std::string> args = arguments;
    apply_config_options(args);
    auto options = io_options(Writes::Text);
    options.add_options()("scale", po::value<double>()->value_name("S"), "enlargement factor (default: the model's)");
    options.add(diffusion_options("Diffusion options (written as the pixel function's arguments)"));
    po::variables_map values;
    if (!parse("vrt", "[options] SRC DST.vrt", args, options, true, values)) return 0;
    const IoOptions io = read_io_options(values, Writes::Text);
    check_not_input(io.src, io.dst);
    // The file is VRT XML: under a GeoTIFF's name it would mislead every tool that goes by the name.
    if (lowercase_extension(io.dst) != ".vrt")
      throw UsageError("DST must end in .vrt: geosr vrt writes VRT XML (geosr sr writes the pixels as a COG)");
    const DiffusionSettings settings = read_diffusion_settings(values);
    check_not_input(settings.model, io.dst);  // the VRT would name the model it replaced
    const DiffusionSetup setup = prepare_settings(settings);
    const RasterSource source = open_model_source(io, setup);
    setup.check_window(source.height() * setup.scale, source.width() * setup.scale);
    // A VRT of nothing but NoData is refused as `geosr sr` refuses it.
    if (!source.any_valid()) throw no_valid_pixels(source.path());
    warn_about_value_rule("vrt", source, survey_values(source));
    check_output_path(io.dst, io.overwrite);
    write_text_file(io.dst, vrt_text(source, settings, setup));
    if (!io.quiet) {
      std::cout << "wrote " << io.dst << ": " << source.width() * setup.scale << " x " << source.height() * setup.scale
                << ", geosr_sr over bands";
      for (const auto& band : source.bands()) std::cout << " " << band.index;
      std::cout << " (load the plugin with GDAL_DRIVER_PATH; docs/gdal.md)\n";
    }
    return 0;
  });
}

}  // namespace geosr::cli
