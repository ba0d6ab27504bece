#pragma once
// Segmentation labels on a raster's grid: vector features (any OGR format) burnt with GDAL, points
// first buffered into disks of a ground radius with GEOS (through OGR), everything reprojected to
// the raster's CRS with PROJ; or a label raster read as it is.

#include <cstdint>
#include <optional>
#include <string>

#include <torch/torch.h>

#include "geosr/io/georef.hpp"

namespace geosr {

struct RasterGrid {
  int64_t width = 0, height = 0;
  GeoTransform geotransform{};
  std::string crs_wkt;  // empty: the vector's coordinates are taken as the raster's
};

// The grid of any raster GDAL opens; throws std::runtime_error (one line) otherwise.
RasterGrid raster_grid(const std::string& path);

struct LabelOptions {
  double point_radius = 1.5;  // ground units of the raster's CRS (metres for UTM): a 3 m NAIP tree crown
  std::string class_field;    // integer attribute holding the class (1..255); empty: every feature is class 1
};

// (H, W) uint8: 0 where no feature is, else the feature's class. Polygons burn the pixels whose
// centre they contain (GDAL's rule); lines burn the pixels they cross.
torch::Tensor rasterize_labels(const std::string& vector_path, const RasterGrid& grid, const LabelOptions& options);

struct LabelRaster {
  torch::Tensor classes;  // (H, W) int64
  torch::Tensor valid;    // (H, W) bool: false where band 1 is NoData or masked
};

// Band 1 of a raster of integer classes (labels or a prediction), with its validity.
LabelRaster read_label_raster(const std::string& path);

// A label raster read for the raster `target` (an image, a prediction: `what` names it in errors).
// Throws std::runtime_error unless both have the same size and, when both are georeferenced, the
// same grid: same size is not same place, and another tile's labels would be scored pixel by pixel.
LabelRaster read_label_raster_for(const std::string& labels, const std::string& target, const std::string& what);

// Whether GDAL opens `path` as a raster (else it is taken as vector labels).
bool is_raster(const std::string& path);

}  // namespace geosr
