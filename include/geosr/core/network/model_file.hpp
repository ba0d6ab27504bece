#pragma once
// Self-describing model files: safetensors whose __metadata__ holds the U-Net configuration
// ("geosr.unet" as JSON) and free-form training metadata.

#include <map>
#include <string>

#include "geosr/core/network/denoiser.hpp"
#include "geosr/core/network/unet.hpp"

namespace geosr {

using Metadata = std::map<std::string, std::string>;

void save_model(const std::string& path, UNet& model, const Metadata& metadata = {});
// Throws std::runtime_error with a one-line message on a missing, corrupt or incompatible file.
UNet load_model(const std::string& path, Metadata* metadata = nullptr);

enum class Precision { Fp32, Bf16, Fp16 };
Precision parse_precision(const std::string& name);  // "fp32" | "bf16" | "fp16"

// Wraps a model (moved to `device`, eval mode, no grad, autocast for bf16/fp16 on CUDA).
Denoiser make_denoiser(UNet model, torch::Device device, Precision precision = Precision::Fp32);

}  // namespace geosr
