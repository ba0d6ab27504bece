#pragma once
// The GEOSR driver's dataset: the super-resolved raster on the HR grid (the LR georeferencing with
// the pixel size divided by the scale), read in blocks that SuperResolvedRaster computes. Its
// overviews are the LR raster resampled by GDAL, so zoomed-out views (QGIS, gdaladdo-style
// readers) never start a diffusion run.

#include <memory>

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include "super_resolved_raster.hpp"

namespace geosr::gdal {

class GeosrDataset final : public GDALDataset {
 public:
  static int Identify(GDALOpenInfo* info);
  static GDALDataset* Open(GDALOpenInfo* info);

  CPLErr GetGeoTransform(double* transform) override;
  const OGRSpatialReference* GetSpatialRef() const override;

  SuperResolvedRaster& raster() { return *raster_; }
  GDALDataset* lr() { return lr_.get(); }

 private:
  std::unique_ptr<SuperResolvedRaster> raster_;
  std::unique_ptr<GDALDataset> lr_;  // the source again, for the overviews' resampled reads
  OGRSpatialReference srs_;
  bool has_geotransform_ = false;
  double transform_[6] = {0, 1, 0, 0, 0, 1};
};

}  // namespace geosr::gdal
