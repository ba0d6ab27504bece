#pragma once
// How a GEOSR dataset is named. Either a connection string
//   GEOSR:path/to/lr.tif?scale=5&steps=20&seed=7
// or a JSON descriptor file {"geosr": 1, "source": "lr.tif", "steps": 20, ...} (relative paths are
// relative to the descriptor). Keys are the driver's open options in lower case; open options
// override both, and the GEOSR_MODEL / GEOSR_DEVICE / GEOSR_CACHE_DIR configuration options (or
// environment variables) supply defaults.

#include <cstdint>
#include <string>
#include <vector>

#include <cpl_port.h>

#include "geosr/core/inference/diffusion_setup.hpp"
#include "geosr/io/value_range.hpp"

namespace geosr::gdal {

struct Connection {
  std::string source;          // the LR raster
  DiffusionSettings settings;  // model, steps, seed, ... as in `geosr sr`
  std::vector<int> bands;      // LR bands the model reads; empty: the first ones
  std::vector<ValueRange> in_ranges;  // their value rule; empty: their types' ranges
  int64_t block_size = 512;    // HR block side GDAL reads
  int64_t halo = -1;           // HR pixels of context around a block; -1: two windows
  std::string cache_dir;       // computed blocks on disk; empty: memory only
  double cache_mb = 256.0;     // memory cache
};

// `value` as a whole integer or number; std::invalid_argument naming `key` otherwise.
int64_t to_integer(const std::string& key, const std::string& value);
double to_number(const std::string& key, const std::string& value);

// Sets the diffusion setting `key` (model, scale, steps, seed, sampler, eta, lr_consistency,
// fusion, weights, window, stride, batch, device, precision) from text; false when `key` is none
// of them. Throws std::invalid_argument for a value of the wrong kind.
bool apply_setting(DiffusionSettings& settings, const std::string& key, const std::string& value);

// Every setting as one line of text: what a cache of results computed with them is keyed by.
std::string settings_key(const DiffusionSettings& settings);

// prepare_diffusion for GDAL: a missing model file named as such, and a GDAL warning for a
// precision the CPU does not use (it computes in fp32), since GDAL shows no `geosr sr` messages.
DiffusionSetup prepare_for_gdal(const DiffusionSettings& settings);

// Whether the first bytes of a file are a GEOSR descriptor: JSON with a "geosr" key.
bool is_descriptor(const char* header, int size);

// `name` is the connection string or the descriptor's path. Throws std::invalid_argument with a
// one-line reason for unknown keys, keys given twice and bad values; an open option replaces the
// name's value of its key before any is read.
Connection parse_connection(const std::string& name, bool descriptor, CSLConstList open_options);

// The open options, as GDAL_DMD_OPENOPTIONLIST XML.
const char* open_option_list();

}  // namespace geosr::gdal
