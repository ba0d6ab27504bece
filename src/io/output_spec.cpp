#include "geosr/io/output_spec.hpp"

#include <cstdio>

#include "geosr/io/raster_source.hpp"

namespace geosr {

OutputSpec output_spec_for(const RasterSource& source, int64_t width, int64_t height) {
  OutputSpec spec;
  spec.width = width;
  spec.height = height;
  spec.type = source.data_type();
  std::string bands, ranges;
  for (const auto& band : source.bands()) {
    char range[64];
    std::snprintf(range, sizeof range, "%.15g,%.15g", band.range.lo, band.range.hi);
    bands += (bands.empty() ? "" : ",") + std::to_string(band.index);
    ranges += (ranges.empty() ? "" : ";") + std::string(range);
    spec.ranges.push_back(band.range);
    spec.colors.push_back(band.color);
    spec.descriptions.push_back(band.description);
    spec.scales.push_back(band.scale);
    spec.offsets.push_back(band.offset);
    spec.units.push_back(band.unit);
    if (!spec.nodata && band.nodata) spec.nodata = band.nodata;
  }
  if (source.geotransform()) {
    spec.geotransform =
        resampled_geotransform(*source.geotransform(), source.width(), source.height(), width, height);
  }
  spec.crs_wkt = source.crs_wkt();
  spec.mask = source.has_invalid_pixels() && !spec.nodata;
  spec.metadata = {{"GEOSR_BANDS", bands}, {"GEOSR_IN_RANGE", ranges}};
  if (!source.area_or_point().empty()) spec.metadata["AREA_OR_POINT"] = source.area_or_point();
  return spec;
}

}  // namespace geosr
