#pragma once
// Many rasters named at once, as `geosr chips` and `geosr seg train` take them.

#include <string>
#include <vector>

namespace geosr::cli {

// SRC is a raster, a directory of GeoTIFFs, or a text file with one entry a line: a path, or a
// name without extension (a split file such as naip-trees/train.txt) meaning IMAGES/NAME.tif,
// IMAGES defaulting to the folder `images` beside the list. Throws when SRC is missing or empty.
std::vector<std::string> list_inputs(const std::string& src, const std::string& images_dir);

}  // namespace geosr::cli
