#include "sr_pixel_function.hpp"

#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>

#include "connection.hpp"
#include "geosr/core/canvas/scene_sampler.hpp"
#include "geosr/io/value_range.hpp"

namespace geosr::gdal {
namespace {

struct Request {
  DiffusionSettings settings;
  int band = 0;
  std::optional<ValueRange> range;
};

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
      r.band = std::atoi(text.c_str());
    } else if (name == "in_range") {
      const auto ranges = parse_ranges(text);
      if (ranges.size() != 1) throw std::invalid_argument("in_range takes one lo,hi pair");
      r.range = ranges.front();
    }
  }
  if (r.band < 1) throw std::invalid_argument("the band argument (1-based output band) is missing or not positive");
  return r;
}

// Loaded models and recent results, shared by every VRT in the process.
struct Cache {
  std::mutex mutex;
  std::map<std::string, DiffusionSetup> setups;
  std::list<std::pair<size_t, torch::Tensor>> results;  // most recent first
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
         "<Argument name='eta' type='double'/><Argument name='fusion' type='string'/>"
         "<Argument name='weights' type='string'/><Argument name='window' type='integer'/>"
         "<Argument name='stride' type='integer'/><Argument name='batch' type='integer'/>"
         "<Argument name='device' type='string'/><Argument name='precision' type='string'/>"
         "<Argument name='scale' type='integer'/><Argument name='in_range' type='string'/>"
         "</PixelFunctionArgumentsList>";
}

CPLErr sr_pixel_function(void** sources, int source_count, void* data, int width, int height, GDALDataType source_type,
                         GDALDataType buffer_type, int pixel_space, int line_space, CSLConstList arguments) {
  try {
    const Request request = parse_arguments(arguments);
    const ValueRange range = request.range.value_or(default_range(source_type));
    const size_t pixels = static_cast<size_t>(width) * static_cast<size_t>(height);
    torch::Tensor condition = torch::empty({source_count, height, width}, torch::kFloat64);
    for (int b = 0; b < source_count; ++b) {
      GDALCopyWords64(sources[b], source_type, GDALGetDataTypeSizeBytes(source_type),
                      condition[b].data_ptr<double>(), GDT_Float64, 8, static_cast<GPtrDiff_t>(pixels));
    }
    // The request is known by its content: the same sources and settings give the same pixels.
    const std::string settings = settings_key(request.settings);
    size_t key = std::hash<std::string>{}(settings + "|" + std::to_string(width) + "x" + std::to_string(height));
    key ^= std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(condition.data_ptr<double>()),
                                                          condition.numel() * sizeof(double))) +
           0x9e3779b97f4a7c15ULL + (key << 6) + (key >> 2);

    Cache& shared = cache();
    const std::lock_guard<std::mutex> lock(shared.mutex);
    torch::Tensor y;
    for (auto it = shared.results.begin(); it != shared.results.end(); ++it) {
      if (it->first == key) {
        shared.results.splice(shared.results.begin(), shared.results, it);
        y = it->second;
        break;
      }
    }
    if (!y.defined()) {
      auto found = shared.setups.find(settings);
      if (found == shared.setups.end()) found = shared.setups.emplace(settings, prepare_diffusion(request.settings)).first;
      const DiffusionSetup& setup = found->second;
      if (source_count != setup.channels) {
        throw std::invalid_argument("the model takes " + std::to_string(setup.channels) + " bands but the VRT band has " +
                                    std::to_string(source_count) + " sources");
      }
      SceneSamplerOptions options;
      options.fusion = setup.fusion;
      options.window = setup.window;
      options.stride = setup.stride;
      options.weights = setup.weights;
      options.batch = request.settings.batch;
      options.seed = request.settings.seed;
      options.device = setup.device;
      CPLDebug("GEOSR", "geosr_sr: denoising a %d x %d request", width, height);
      y = sample_scene(setup.denoiser, *setup.sampler, to_model(condition, range).to(torch::kFloat32), options);
      shared.results.emplace_front(key, y);
      if (shared.results.size() > 8) shared.results.pop_back();
    }
    if (request.band > y.size(0)) {
      throw std::invalid_argument("band " + std::to_string(request.band) + " is beyond the model's " +
                                  std::to_string(y.size(0)) + " bands");
    }
    const torch::Tensor values = from_model(y[request.band - 1], range, buffer_type).to(torch::kFloat64).contiguous();
    for (int row = 0; row < height; ++row) {
      GDALCopyWords(values.data_ptr<double>() + static_cast<size_t>(row) * width, GDT_Float64, 8,
                    static_cast<GByte*>(data) + static_cast<GPtrDiff_t>(line_space) * row, buffer_type, pixel_space,
                    width);
    }
    return CE_None;
  } catch (const std::exception& e) {
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    CPLError(CE_Failure, CPLE_AppDefined, "geosr_sr: %s", message.c_str());
    return CE_Failure;
  }
}

}  // namespace geosr::gdal
