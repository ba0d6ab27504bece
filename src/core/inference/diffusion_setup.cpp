#include "geosr/core/inference/diffusion_setup.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "geosr/core/exact_number.hpp"
#include "geosr/core/runtime.hpp"
#include "geosr/core/train/model_metadata.hpp"
#include "geosr/version.hpp"

namespace geosr {

namespace {

// Upper bounds that keep a typing slip from allocating gigabytes before anything can be refused.
constexpr int64_t kMaxWindow = 4096;
constexpr int64_t kMaxBatch = 4096;

int64_t metadata_integer(const Metadata& metadata, const std::string& key) {
  const auto it = metadata.find(key);
  if (it == metadata.end()) return 0;
  int64_t value = 0;
  const char* end = it->second.data() + it->second.size();
  const auto parsed = std::from_chars(it->second.data(), end, value);
  if (parsed.ec != std::errc() || parsed.ptr != end)
    throw std::runtime_error("the model's " + key + " is not an integer ('" + it->second + "')");
  return value;
}

}  // namespace

torch::Device parse_device(const std::string& name) {
  const std::string expected = "device must be cpu, cuda or cuda:N (got '" + name + "')";
  if (name != "cpu" && name.rfind("cuda", 0) != 0) throw SettingsError(expected);
  // The name first, so that "cuda:abc" is a mistake in any build, not a missing GPU.
  torch::Device device = torch::kCPU;
  try {
    device = torch::Device(name);
  } catch (const std::exception&) {
    throw SettingsError(expected);
  }
  if (device.has_index() && device.index() < 0) throw SettingsError(expected);
  if (device.is_cuda() && !torch::cuda::is_available())
    throw std::runtime_error("device " + name + ": no CUDA device is available to this build of LibTorch");
  return device;
}

void DiffusionSetup::check_window(int64_t height, int64_t width) const {
  const int64_t side = std::max(height, width);
  const int64_t most = std::max(default_window, (side + side_multiple - 1) / side_multiple * side_multiple);
  if (window > most) {
    throw SettingsError("window " + std::to_string(window) + " is larger than a " + std::to_string(width) + " x " +
                        std::to_string(height) + " output needs (at most " + std::to_string(most) + ")");
  }
}

Fuser DiffusionSetup::fuser(int64_t height, int64_t width) const {
  check_window(height, width);
  return Fuser(fusion, make_grid(fusion, height, width, window, stride), weights);
}

DiffusionSetup prepare_diffusion(const DiffusionSettings& s) {
  DiffusionSetup setup;
  UNet model = load_model(s.model, &setup.metadata);
  const UNetConfig& config = model->config();
  setup.channels = config.image_channels();

  const int64_t model_scale = metadata_integer(setup.metadata, "geosr.scale");
  if (s.scale < 0 || s.scale == 1 || s.scale > kMaxScale)
    throw SettingsError("scale must be 2 .. " + std::to_string(kMaxScale) + " (0: the model's)");
  if (model_scale < 0 || model_scale > kMaxScale)
    throw std::runtime_error("the model's scale " + std::to_string(model_scale) + " is not 2 .. " + std::to_string(kMaxScale));
  setup.scale = s.scale > 0 ? s.scale : model_scale;
  if (setup.scale < 2) throw SettingsError("the model records no scale; give the scale");
  if (model_scale > 0 && setup.scale != model_scale) {
    throw SettingsError("the model was trained for " + std::to_string(model_scale) + "x; scale " +
                        std::to_string(setup.scale) + " would condition it on blur it has never seen");
  }
  if (s.window < 0 || s.stride < 0) throw SettingsError("window and stride must be positive (0: the default)");
  if (s.window > kMaxWindow) throw SettingsError("window must be at most " + std::to_string(kMaxWindow));
  if (!(s.eta >= 0.0) || !std::isfinite(s.eta)) throw SettingsError("eta must be a finite number, 0 or more");
  const int64_t multiple = config.side_multiple();
  setup.side_multiple = multiple;
  setup.default_window = (128 + multiple - 1) / multiple * multiple;
  setup.window = s.window > 0 ? s.window : setup.default_window;
  if (setup.window % multiple != 0) {
    throw SettingsError("window " + std::to_string(setup.window) + " must be a multiple of " +
                        std::to_string(multiple) + " for this network");
  }
  setup.stride = s.stride > 0 ? s.stride : setup.window * 3 / 4;
  if (setup.stride > setup.window) throw SettingsError("the stride must not exceed the window (windows would leave gaps)");
  const ScheduleSpec schedule = schedule_of(setup.metadata);
  if (s.steps < 1 || s.steps > schedule.steps)
    throw SettingsError("steps must be 1 .. " + std::to_string(schedule.steps) + " (the training schedule)");
  if (s.batch < 1 || s.batch > kMaxBatch) throw SettingsError("batch must be 1 .. " + std::to_string(kMaxBatch));
  SamplerKind sampler;
  Precision precision;
  try {  // the name parsers report unknown names as runtime errors; here they are the user's
    setup.fusion = parse_fusion_mode(s.fusion);
    setup.weights = parse_weight_kind(s.weights);
    sampler = parse_sampler_kind(s.sampler);
    precision = parse_precision(s.precision);
  } catch (const std::runtime_error& e) {
    throw SettingsError(e.what());
  }
  // Independent tiles step by the window: a given stride would change nothing and be recorded nowhere.
  if (setup.fusion == FusionMode::None && s.stride > 0 && s.stride != setup.window)
    throw SettingsError("stride applies to overlapping windows (sdvc, vcf, avg); fusion none tiles by the window");
  // DDPM's noise is fixed by the schedule: an eta there would be recorded in the output's metadata
  // without having changed a pixel.
  if (sampler == SamplerKind::Ddpm && s.eta != 0.0) throw SettingsError("eta is the ddim sampler's (ddpm ignores it)");
  LrConsistency consistency;
  try {
    consistency = lr_consistency(setup.scale, s.lr_consistency);
  } catch (const std::invalid_argument& e) {
    throw SettingsError(e.what());
  }
  setup.sampler = make_sampler(sampler, schedule.make().respaced(s.steps), s.eta, consistency);
  setup.device = parse_device(s.device);
  setup.denoiser = make_denoiser(model, setup.device, precision);
  return setup;
}

std::map<std::string, std::string> diffusion_metadata(const DiffusionSettings& settings, const DiffusionSetup& setup) {
  const int64_t step = setup.fusion == FusionMode::None ? setup.window : setup.stride;
  // The CPU computes in fp32 whatever was asked: the same bytes, the same record.
  const bool cuda = settings.device.rfind("cuda", 0) == 0;
  return {{"GEOSR_METHOD", "diffusion"},
          {"GEOSR_SCALE", std::to_string(setup.scale)},
          {"GEOSR_MODEL", std::filesystem::path(settings.model).filename().string()},
          {"GEOSR_MODEL_DIGEST", file_digest(settings.model)},
          {"GEOSR_STEPS", std::to_string(settings.steps)},
          {"GEOSR_SEED", std::to_string(settings.seed)},
          {"GEOSR_SAMPLER", settings.sampler},
          {"GEOSR_ETA", exact_number(settings.eta)},
          {"GEOSR_LR_CONSISTENCY", exact_number(settings.lr_consistency)},
          {"GEOSR_FUSION", to_string(setup.fusion)},
          {"GEOSR_WEIGHTS", settings.weights},
          {"GEOSR_GRID", std::to_string(setup.window) + "," + std::to_string(step)},
          {"GEOSR_PRECISION", cuda ? settings.precision : "fp32"},
          {"GEOSR_VERSION", kVersion}};
}

}  // namespace geosr
