#pragma once
// Affine geotransform arithmetic for resampled grids, and CRS comparison.

#include <array>
#include <cstdint>
#include <string>

namespace geosr {

using GeoTransform = std::array<double, 6>;

// The geotransform of the same extent sampled with dst_w x dst_h pixels instead of src_w x src_h:
// column terms (1, 4) scale by src_w / dst_w and row terms (2, 5) by src_h / dst_h, so rotated
// grids keep their rotation and the corners stay where they were.
GeoTransform resampled_geotransform(const GeoTransform& gt, int64_t src_w, int64_t src_h, int64_t dst_w,
                                    int64_t dst_h);

// Ground size of one pixel along the columns and along the rows (rotation included).
std::array<double, 2> pixel_size(const GeoTransform& gt);

// Whether two WKT strings name the same CRS (however written); two empty ones are the same, an
// empty and a given one are not.
bool same_crs(const std::string& a, const std::string& b);

}  // namespace geosr
