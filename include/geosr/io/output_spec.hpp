#pragma once
// Everything the raster writer needs to know about the output raster.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gdal.h>

#include "geosr/io/georef.hpp"
#include "geosr/io/value_range.hpp"

namespace geosr {

class RasterSource;

struct OutputSpec {
  int64_t width = 0;
  int64_t height = 0;
  GDALDataType type = GDT_Byte;
  std::vector<ValueRange> ranges;  // model range -> output values, one per band
  std::vector<GDALColorInterp> colors;
  std::vector<std::string> descriptions;
  // Per band, what the values mean (BandInfo::scale, offset, unit); empty: plain values.
  std::vector<double> scales;
  std::vector<double> offsets;
  std::vector<std::string> units;
  std::optional<GeoTransform> geotransform;
  std::string crs_wkt;
  // Invalid pixels: written as this NoData value when set, else recorded in an internal
  // per-dataset mask when `mask` is true (and not recorded at all otherwise).
  std::optional<double> nodata;
  bool mask = false;
  // Class numbers, not measurements: a lossy encoding (JPEG, WEBP, LERC...) would invent classes.
  bool categorical = false;
  std::map<std::string, std::string> metadata;   // dataset metadata, e.g. GEOSR_METHOD
  std::string format = "COG";                     // GDAL driver (output_format.hpp)
  std::vector<std::string> creation_options;     // NAME=VALUE, override the format's defaults
  bool overwrite = false;
};

// The output grid of `source` resampled to width x height: same bands, type, value rule, CRS,
// NoData or mask, band scale, offset and unit, and the geotransform scaled to the new pixel size
// over the same extent. Its metadata records the input bands and value rule (GEOSR_BANDS,
// GEOSR_IN_RANGE) and the input's AREA_OR_POINT.
OutputSpec output_spec_for(const RasterSource& source, int64_t width, int64_t height);

}  // namespace geosr
