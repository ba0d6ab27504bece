#include "geosr/io/value_survey.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <gdal_priv.h>

#include "geosr/io/gdal_errors.hpp"
#include "geosr/io/raster_source.hpp"

namespace geosr {
ValueSurvey survey_values(const RasterSource& source, int64_t side) {
  register_gdal();
  GdalErrorTrap quiet;
  const GDALDatasetUniquePtr dataset(GDALDataset::Open(source.path().c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!dataset) return {};
  const double step = std::max(1.0, static_cast<double>(std::max(source.width(), source.height())) / side);
  const int w = std::max(1, static_cast<int>(std::lround(source.width() / step)));
  const int h = std::max(1, static_cast<int>(std::lround(source.height() / step)));
  std::vector<double> values(static_cast<size_t>(w) * h);
  std::vector<uint8_t> mask(values.size());
  ValueSurvey survey;
  survey.low = survey.file_low = std::numeric_limits<double>::infinity();
  survey.high = survey.file_high = -std::numeric_limits<double>::infinity();
  for (const auto& band : source.bands()) {
    GDALRasterBand* raster = dataset->GetRasterBand(band.index);
    if (!raster ||
        raster->RasterIO(GF_Read, 0, 0, static_cast<int>(source.width()), static_cast<int>(source.height()),
                         values.data(), w, h, GDT_Float64, 0, 0, nullptr) != CE_None ||
        raster->GetMaskBand()->RasterIO(GF_Read, 0, 0, static_cast<int>(source.width()),
                                        static_cast<int>(source.height()), mask.data(), w, h, GDT_Byte, 0, 0,
                                        nullptr) != CE_None)
      return {};
    for (size_t i = 0; i < values.size(); ++i) {
      const double v = values[i];
      if (!mask[i] || !std::isfinite(v) || (band.nodata && v == *band.nodata)) continue;
      const double model = 2.0 * (v - band.range.lo) / (band.range.hi - band.range.lo) - 1.0;
      ++survey.samples;
      if (std::abs(model) > 1.0) ++survey.outside;
      survey.low = std::min(survey.low, model);
      survey.high = std::max(survey.high, model);
      survey.file_low = std::min(survey.file_low, v);
      survey.file_high = std::max(survey.file_high, v);
    }
  }
  return survey.samples ? survey : ValueSurvey{};
}

}  // namespace geosr
