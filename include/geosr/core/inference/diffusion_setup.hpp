#pragma once
// The settings of one super-resolution run, checked against the model they name, and what they
// build: network, sampler, window layout. `geosr sr`, the GDAL driver and the VRT pixel function
// all start here, so the same settings give the same grid, noise and pixels everywhere.

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "geosr/core/diffusion/sampler.hpp"
#include "geosr/core/fusion/fuser.hpp"
#include "geosr/core/network/model_file.hpp"

namespace geosr {

// The largest enlargement geosr accepts, for any method and for training.
constexpr int64_t kMaxScale = 100;

struct DiffusionSettings {
  std::string model;       // safetensors model file
  int64_t scale = 0;       // 0: the model's own
  int steps = 50;          // re-spaced inference steps
  std::string sampler = "ddpm";
  double eta = 0.0;
  double lr_consistency = 0.25;  // 0..1: how far each step's clean estimate is pulled to the LR's low frequencies
  std::string fusion = "sdvc";
  std::string weights = "cone";
  int64_t window = 0;      // 0: the model's training patch rounded up to the network's multiple
  int64_t stride = 0;      // 0: three quarters of the window (the official 25 % overlap)
  int64_t batch = 8;
  uint64_t seed = 0;
  std::string device = "cpu";
  std::string precision = "fp32";
};

// A setting the model cannot run with (the CLI reports it as a usage error, exit 2).
class SettingsError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// "cpu", "cuda" or "cuda:N"; SettingsError for other names, std::runtime_error without CUDA.
torch::Device parse_device(const std::string& name);

struct DiffusionSetup {
  Metadata metadata;
  int64_t channels = 0;  // bands the model takes
  int64_t scale = 0;
  int64_t window = 0;
  int64_t stride = 0;
  int64_t default_window = 0;  // the model's own, and the network's side multiple
  int64_t side_multiple = 1;
  FusionMode fusion = FusionMode::Sdvc;
  WeightKind weights = WeightKind::Cone;
  std::unique_ptr<Sampler> sampler;
  torch::Device device = torch::kCPU;
  Denoiser denoiser;

  // SettingsError when the window is larger than a height x width output needs (the default
  // window, or the scene's longer side rounded up to the network's multiple): a larger one only
  // pads the scene, at the square of the cost (a 4096-px window on a 100-px scene runs out of memory).
  void check_window(int64_t height, int64_t width) const;
  // The fusion over the window grid of a height x width output scene (checked as above).
  Fuser fuser(int64_t height, int64_t width) const;
};

// The GEOSR_* metadata items an output made with these settings carries (geosr sr, the GDAL
// driver): what a reader, or `geosr batch` deciding whether an output is done, checks it against.
std::map<std::string, std::string> diffusion_metadata(const DiffusionSettings& settings, const DiffusionSetup& setup);

// Loads the model and checks every setting against it (std::runtime_error for a bad model file,
// SettingsError for settings it cannot run with).
DiffusionSetup prepare_diffusion(const DiffusionSettings& settings);

}  // namespace geosr
