#include "geosr/io/output_spec.hpp"

#include "geosr/io/raster_source.hpp"

namespace geosr {

OutputSpec output_spec_for(const RasterSource& source, int64_t width, int64_t height) {
  OutputSpec spec;
  spec.width = width;
  spec.height = height;
  spec.type = source.data_type();
  for (const auto& band : source.bands()) {
    spec.ranges.push_back(band.range);
    spec.colors.push_back(band.color);
    spec.descriptions.push_back(band.description);
    if (!spec.nodata && band.nodata) spec.nodata = band.nodata;
  }
  if (source.geotransform()) {
    spec.geotransform =
        resampled_geotransform(*source.geotransform(), source.width(), source.height(), width, height);
  }
  spec.crs_wkt = source.crs_wkt();
  spec.mask = source.has_invalid_pixels() && !spec.nodata;
  return spec;
}

}  // namespace geosr
