#include "sr_pixel_function.hpp"

#include <cstdlib>
#include <limits>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>

#include "connection.hpp"
#include "geosr/core/canvas/scene_sampler.hpp"
#include "geosr/core/exact_number.hpp"
#include "geosr/core/runtime.hpp"
#include "geosr/io/value_range.hpp"

namespace geosr::gdal {
namespace {

struct Request {
  DiffusionSettings settings;
  int band = 0;
  std::vector<ValueRange> ranges;  // one for all sources or one per source band; empty: the transfer type's
  std::optional<double> nodata;  // the output's NoData value
  int masks = 0;                 // the last `masks` sources are the input bands' masks (0: all valid)
  std::optional<std::pair<int64_t, int64_t>> size;  // the VRT's width and height, when given
};

int to_int(const std::string& key, const std::string& value, int64_t lo) {
  const int64_t number = to_integer(key, value);
  if (number < lo || number > std::numeric_limits<int>::max())
    throw std::invalid_argument(key + " must be " + std::to_string(lo) + " or more (got '" + value + "')");
  return static_cast<int>(number);
}

Request parse_arguments(CSLConstList arguments) {
  Request r;
  r.settings.model = CPLGetConfigOption("GEOSR_MODEL", GEOSR_DEFAULT_MODEL);
  r.settings.device = CPLGetConfigOption("GEOSR_DEVICE", "cpu");
  for (CSLConstList a = arguments; a && *a; ++a) {
    char* key = nullptr;
    const char* value = CPLParseNameValue(*a, &key);
    const std::string name = key ? key : "";
    CPLFree(key);
    const std::string text = value ? value : "";
    if (apply_setting(r.settings, name, text)) continue;
    if (name == "band") {
      r.band = to_int(name, text, 1);
    } else if (name == "in_range") {
      r.ranges = parse_ranges(text, "in_range");
    } else if (name == "nodata") {
      r.nodata = to_number(name, text);
    } else if (name == "masks") {
      r.masks = to_int(name, text, 0);
    } else if (name == "size") {
      const CPLStringList sides(CSLTokenizeString2(text.c_str(), ",", CSLT_ALLOWEMPTYTOKENS));
      if (sides.size() != 2) throw std::invalid_argument("size is WIDTH,HEIGHT (got '" + text + "')");
      r.size = {{to_int(name, sides[0], 1), to_int(name, sides[1], 1)}};
    } else {
      throw std::invalid_argument("unknown argument '" + name + "'");
    }
  }
  if (r.band < 1) throw std::invalid_argument("the band argument (1-based output band) is missing");
  return r;
}

// GDAL gives a pixel function its request and nothing of the raster around it, so each request is
// denoised as a scene of its own. A sliver (a scanline at a time, as PNG and striped GTiff writers
// read) would be denoised without the context a window needs and with its neighbours' noise:
// refused below a quarter window. Larger parts, such as the last swath of a copy, are said once,
// since their edges can show.
void check_request(int width, int height, std::pair<int64_t, int64_t> size, int64_t window) {
  const auto [raster_width, raster_height] = size;
  if (width >= raster_width && height >= raster_height) return;
  const int64_t least = std::max<int64_t>(1, window / 4);
  if (width < std::min(least, raster_width) || height < std::min(least, raster_height)) {
    throw std::invalid_argument("a " + std::to_string(width) + " x " + std::to_string(height) + " request of the " +
                                std::to_string(raster_width) + " x " + std::to_string(raster_height) +
                                " raster is too small to denoise on its own (each side needs " + std::to_string(least) +
                                " pixels); write a tiled format (-of COG, or GTiff -co TILED=YES) or read through the "
                                "GEOSR driver, which is seamless block by block");
  }
  static std::once_flag warned;
  std::call_once(warned, [&] {
    CPLError(CE_Warning, CPLE_AppDefined,
             "geosr_sr: requests are parts of the raster or reduced-resolution reads of it (%d x %d of %lld x %lld); "
             "each is denoised as a scene of its own, so edges may show and reduced reads are denoised at the "
             "wrong scale; the GEOSR driver is seamless and has overviews",
             width, height, static_cast<long long>(raster_width), static_cast<long long>(raster_height));
  });
}

// Loaded models and recent results, shared by every VRT in the process.
struct Cache {
  std::mutex mutex;
  std::map<std::string, DiffusionSetup> setups;
  std::list<std::pair<uint64_t, torch::Tensor>> results;  // most recent first
};
Cache& cache() {
  static Cache instance;
  return instance;
}

}  // namespace

const char* sr_pixel_function_arguments() {
  return "<PixelFunctionArgumentsList>"
         "<Argument name='band' type='integer' description='output band (1-based) among the model&apos;s' mandatory='1'/>"
         "<Argument name='model' type='string'/><Argument name='steps' type='integer'/>"
         "<Argument name='seed' type='integer'/><Argument name='sampler' type='string'/>"
         "<Argument name='eta' type='double'/><Argument name='lr_consistency' type='double'/>"
         "<Argument name='fusion' type='string'/>"
         "<Argument name='weights' type='string'/><Argument name='window' type='integer'/>"
         "<Argument name='stride' type='integer'/><Argument name='batch' type='integer'/>"
         "<Argument name='device' type='string'/><Argument name='precision' type='string'/>"
         "<Argument name='scale' type='integer'/><Argument name='in_range' type='string'/>"
         "<Argument name='nodata' type='double'/><Argument name='masks' type='integer'/>"
         "<Argument name='size' type='string' description='WIDTH,HEIGHT of the VRT'/>"
         "</PixelFunctionArgumentsList>";
}

CPLErr sr_pixel_function(void** sources, int source_count, void* data, int width, int height, GDALDataType source_type,
                         GDALDataType buffer_type, int pixel_space, int line_space, CSLConstList arguments) {
  try {
    const Request request = parse_arguments(arguments);
    const size_t pixels = static_cast<size_t>(width) * static_cast<size_t>(height);
    if (source_count < 1) throw std::invalid_argument("the VRT band has no sources");
    if (request.masks >= source_count)
      throw std::invalid_argument("masks must be 0 .. the sources less one (got " + std::to_string(request.masks) + ")");
    torch::Tensor sources_read = torch::empty({source_count, height, width}, torch::kFloat64);
    for (int b = 0; b < source_count; ++b) {
      GDALCopyWords64(sources[b], source_type, GDALGetDataTypeSizeBytes(source_type),
                      sources_read[b].data_ptr<double>(), GDT_Float64, 8, static_cast<GPtrDiff_t>(pixels));
    }
    const int bands = source_count - request.masks;
    const torch::Tensor condition = sources_read.slice(0, 0, bands);
    // Every output band of a VRT passes the same list, so all of them share one denoised request.
    const std::vector<ValueRange> ranges =
        ranges_for_bands(request.ranges, std::vector<GDALDataType>(static_cast<size_t>(bands), source_type), "in_range");
    // A sample enters the model where it is finite and its band's mask (else the band's NoData
    // value, GDAL's fill without masks) says it is valid. A pixel is valid where the masks say so,
    // as `geosr sr` decides from the LR pixel under it: GDAL's cubic spreads a NaN NoData into
    // neighbours that are valid.
    torch::Tensor usable = torch::isfinite(condition);
    torch::Tensor valid;
    if (request.masks) {
      const torch::Tensor band_valid = sources_read.slice(0, bands) > 0;
      usable.logical_and_(band_valid);
      valid = band_valid.any(0);
    } else {
      if (request.nodata) usable.logical_and_(condition != *request.nodata);
      valid = usable.any(0);
    }
    const std::string settings = settings_key(request.settings);

    Cache& shared = cache();
    const std::lock_guard<std::mutex> lock(shared.mutex);
    auto found = shared.setups.find(settings);
    if (found == shared.setups.end()) found = shared.setups.emplace(settings, prepare_for_gdal(request.settings)).first;
    const DiffusionSetup& setup = found->second;
    if (bands != setup.channels) {
      throw std::invalid_argument("the model takes " + std::to_string(setup.channels) + " bands but the VRT band has " +
                                  std::to_string(bands) + " sources");
    }
    if (request.band > setup.channels) {  // before the denoising it would waste
      throw std::invalid_argument("band " + std::to_string(request.band) + " is beyond the model's " +
                                  std::to_string(setup.channels) + " bands");
    }
    if (request.size) check_request(width, height, *request.size, setup.window);
    if (request.size) setup.check_window(request.size->second, request.size->first);
    else setup.check_window(height, width);
    // The request is known by its content: the same sources, read with the same value rule,
    // NoData and masks, and the same settings give the same pixels.
    std::string rule = settings + "|" + std::to_string(width) + "x" + std::to_string(height) + "|";
    for (const ValueRange& range : ranges) rule += exact_number(range.lo) + "," + exact_number(range.hi) + ";";
    rule += std::string("|") + (request.nodata ? exact_number(*request.nodata) : "none") + "|" + std::to_string(request.masks);
    const uint64_t key = tensor_digest(sources_read, digest_bytes(rule.data(), rule.size()));
    torch::Tensor y;
    for (auto it = shared.results.begin(); it != shared.results.end(); ++it) {
      if (it->first == key) {
        shared.results.splice(shared.results.begin(), shared.results, it);
        y = it->second;
        break;
      }
    }
    if (!y.defined()) {
      SceneSamplerOptions options;
      options.fusion = setup.fusion;
      options.window = setup.window;
      options.stride = setup.stride;
      options.weights = setup.weights;
      options.batch = request.settings.batch;
      options.seed = request.settings.seed;
      options.device = setup.device;
      CPLDebug("GEOSR", "geosr_sr: denoising a %d x %d request", width, height);
      // Unusable samples are 0 in model space, as `geosr sr` has them; nothing valid, nothing to denoise.
      torch::Tensor model = torch::empty_like(condition);
      for (int b = 0; b < bands; ++b)
        model[b] = torch::where(usable[b], to_model(condition[b], ranges[b]), torch::zeros({}, torch::kFloat64));
      y = valid.any().item<bool>()
              ? sample_scene(setup.denoiser, *setup.sampler, model.to(torch::kFloat32), options)
              : torch::zeros({setup.channels, height, width});
      shared.results.emplace_front(key, y);
      if (shared.results.size() > 8) shared.results.pop_back();
    }
    const torch::Tensor values =
        output_values(y[request.band - 1], ranges[request.band - 1], buffer_type, valid, request.nodata).to(torch::kFloat64).contiguous();
    for (int row = 0; row < height; ++row) {
      GDALCopyWords(values.data_ptr<double>() + static_cast<size_t>(row) * width, GDT_Float64, 8,
                    static_cast<GByte*>(data) + static_cast<GPtrDiff_t>(line_space) * row, buffer_type, pixel_space,
                    width);
    }
    return CE_None;
  } catch (const std::exception& e) {
    CPLError(CE_Failure, CPLE_AppDefined, "geosr_sr: %s", error_text(e).c_str());
    return CE_Failure;
  }
}

}  // namespace geosr::gdal
