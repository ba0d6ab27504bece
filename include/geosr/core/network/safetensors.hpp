#pragma once
// The safetensors format (8-byte little-endian header length, JSON header, raw little-endian
// tensor bytes), read and written without any library beyond LibTorch.

#include <map>
#include <string>

#include <torch/torch.h>

namespace geosr {

using TensorMap = std::map<std::string, torch::Tensor>;
using StringMap = std::map<std::string, std::string>;

struct SafetensorsContent {
  TensorMap tensors;  // CPU tensors in the dtype stored in the file
  StringMap metadata;  // the header's __metadata__
};

// Reads F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL tensors. Throws std::runtime_error
// with a one-line message on a missing, truncated or malformed file.
SafetensorsContent read_safetensors(const std::string& path);

// Writes each tensor in its own dtype (any of those above), contiguous, after moving it to the CPU.
void write_safetensors(const std::string& path, const TensorMap& tensors, const StringMap& metadata = {});

}  // namespace geosr
