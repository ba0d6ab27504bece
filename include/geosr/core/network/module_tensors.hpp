#pragma once
// A module's parameters and buffers as named tensors (what model files store), and back.

#include <string>

#include <torch/torch.h>

#include "geosr/core/network/safetensors.hpp"

namespace geosr {

// Parameters and floating-point buffers as float32, other buffers (BatchNorm's counters) as they are.
TensorMap module_tensors(const torch::nn::Module& module);

// Copies `tensors` into the module's parameters and buffers: each must be there with the module's
// shape, and none may be left over. Errors are one line starting with `path`.
void load_module_tensors(torch::nn::Module& module, TensorMap tensors, const std::string& path);

// Copies the parameters and buffers of `from` into `to` (same configuration).
void copy_module_tensors(const torch::nn::Module& from, torch::nn::Module& to);

std::string shape_string(at::IntArrayRef sizes);

}  // namespace geosr
