#include "geosr/io/georef.hpp"

#include <ogr_spatialref.h>

#include <cmath>

namespace geosr {

GeoTransform resampled_geotransform(const GeoTransform& gt, int64_t src_w, int64_t src_h, int64_t dst_w,
                                    int64_t dst_h) {
  const double col = static_cast<double>(src_w) / static_cast<double>(dst_w);
  const double row = static_cast<double>(src_h) / static_cast<double>(dst_h);
  return {gt[0], gt[1] * col, gt[2] * row, gt[3], gt[4] * col, gt[5] * row};
}

std::array<double, 2> pixel_size(const GeoTransform& gt) {
  return {std::hypot(gt[1], gt[4]), std::hypot(gt[2], gt[5])};
}

bool same_crs(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return a.empty() && b.empty();
  OGRSpatialReference sa, sb;
  if (sa.importFromWkt(a.c_str()) != OGRERR_NONE || sb.importFromWkt(b.c_str()) != OGRERR_NONE) return a == b;
  return sa.IsSame(&sb);
}

}  // namespace geosr
