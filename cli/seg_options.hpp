#pragma once
// Options `geosr seg` subcommands share: how vector labels are burnt, and the device.

#include <torch/torch.h>

#include "geosr/seg/labels.hpp"
#include "options.hpp"

namespace geosr::cli {

// --radius, --class-field.
po::options_description label_options();
LabelOptions read_label_options(const po::variables_map& values);

// --device cpu|cuda|cuda:N as a usage error when it is not a device name.
torch::Device read_device(const po::variables_map& values);

}  // namespace geosr::cli
