#include "geosr_dataset.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>
#include <vector>

#include "connection.hpp"
#include "geosr/core/runtime.hpp"
#include "geosr/io/gdal_errors.hpp"

namespace geosr::gdal {
namespace {

// How far into a JSON file a descriptor's "geosr" key is looked for.
constexpr int kDescriptorScanBytes = 64 << 10;

// A super-resolved band: blocks come from the shared raster, all bands of a block at once.
class GeosrBand final : public GDALRasterBand {
 public:
  GeosrBand(GeosrDataset* dataset, int band, const BandInfo& lr);
  ~GeosrBand() override = default;

  CPLErr IReadBlock(int bx, int by, void* image) override;
  double GetNoDataValue(int* has) override;
  GDALColorInterp GetColorInterpretation() override { return lr_.color; }
  // The LR's meaning of the values: the HR values are in the same units.
  double GetScale(int* has) override { return with(has, lr_.scale); }
  double GetOffset(int* has) override { return with(has, lr_.offset); }
  const char* GetUnitType() override { return lr_.unit.c_str(); }
  int GetOverviewCount() override { return static_cast<int>(overviews_.size()); }
  GDALRasterBand* GetOverview(int i) override;

 private:
  static double with(int* has, double value) {
    if (has) *has = TRUE;
    return value;
  }
  BandInfo lr_;
  std::vector<std::unique_ptr<GDALRasterBand>> overviews_;
};

// One overview level: the LR band resampled by GDAL to the HR size divided by `factor`, rounded up.
class LrOverviewBand final : public GDALRasterBand {
 public:
  LrOverviewBand(GeosrDataset* dataset, int band, int lr_band, int factor);
  CPLErr IReadBlock(int bx, int by, void* image) override;
  double GetNoDataValue(int* has) override { return poDS->GetRasterBand(nBand)->GetNoDataValue(has); }

 private:
  GeosrDataset* geosr_;
  int lr_band_;
};

GeosrBand::GeosrBand(GeosrDataset* dataset, int band, const BandInfo& lr) : lr_(lr) {
  poDS = dataset;
  nBand = band;
  SuperResolvedRaster& raster = dataset->raster();
  eDataType = raster.type();
  nRasterXSize = static_cast<int>(raster.width());
  nRasterYSize = static_cast<int>(raster.height());
  nBlockXSize = nBlockYSize = static_cast<int>(raster.block_size());
  SetDescription(lr.description.c_str());
  for (int factor = 2; std::max(nRasterXSize, nRasterYSize) / factor >= 256; factor *= 2)
    overviews_.push_back(std::make_unique<LrOverviewBand>(dataset, band, lr.index, factor));
}

CPLErr GeosrBand::IReadBlock(int bx, int by, void* image) {
  try {
    const torch::Tensor values = static_cast<GeosrDataset*>(poDS)->raster().block(bx, by)[nBand - 1].contiguous();
    const int h = static_cast<int>(values.size(0)), w = static_cast<int>(values.size(1));
    const int size = GDALGetDataTypeSizeBytes(eDataType);
    if (h < nBlockYSize || w < nBlockXSize) std::memset(image, 0, static_cast<size_t>(nBlockXSize) * nBlockYSize * size);
    const double* rows = values.data_ptr<double>();
    for (int y = 0; y < h; ++y) {
      GDALCopyWords(rows + static_cast<size_t>(y) * w, GDT_Float64, 8,
                    static_cast<GByte*>(image) + static_cast<size_t>(y) * nBlockXSize * size, eDataType, size, w);
    }
    return CE_None;
  } catch (const std::exception& e) {
    CPLError(CE_Failure, CPLE_AppDefined, "GEOSR: block %d,%d: %s", bx, by, error_text(e).c_str());
    return CE_Failure;
  }
}

double GeosrBand::GetNoDataValue(int* has) {
  const auto nodata = static_cast<GeosrDataset*>(poDS)->raster().nodata();
  if (has) *has = nodata.has_value();
  return nodata.value_or(0.0);
}

GDALRasterBand* GeosrBand::GetOverview(int i) {
  return i >= 0 && i < GetOverviewCount() ? overviews_[static_cast<size_t>(i)].get() : nullptr;
}

LrOverviewBand::LrOverviewBand(GeosrDataset* dataset, int band, int lr_band, int factor)
    : geosr_(dataset), lr_band_(lr_band) {
  poDS = dataset;
  nBand = band;
  eDataType = dataset->raster().type();
  nRasterXSize = static_cast<int>((dataset->raster().width() + factor - 1) / factor);
  nRasterYSize = static_cast<int>((dataset->raster().height() + factor - 1) / factor);
  nBlockXSize = nBlockYSize = 256;
}

CPLErr LrOverviewBand::IReadBlock(int bx, int by, void* image) {
  const int x0 = bx * nBlockXSize, y0 = by * nBlockYSize;
  const int w = std::min(nBlockXSize, nRasterXSize - x0), h = std::min(nBlockYSize, nRasterYSize - y0);
  // GDAL places an overview by the ratio of the sizes (515 / 258 for an odd side, not 2), so overview
  // pixel x covers LR columns [x, x + 1) * W_lr / W_overview.
  GDALRasterBand* lr = geosr_->lr()->GetRasterBand(lr_band_);
  const double to_lr_x = static_cast<double>(lr->GetXSize()) / nRasterXSize;
  const double to_lr_y = static_cast<double>(lr->GetYSize()) / nRasterYSize;
  GDALRasterIOExtraArg extra;
  INIT_RASTERIO_EXTRA_ARG(extra);
  extra.eResampleAlg = std::max(to_lr_x, to_lr_y) > 1.0 ? GRIORA_Average : GRIORA_Cubic;
  extra.bFloatingPointWindowValidity = TRUE;
  extra.dfXOff = x0 * to_lr_x;
  extra.dfYOff = y0 * to_lr_y;
  extra.dfXSize = std::min(w * to_lr_x, lr->GetXSize() - extra.dfXOff);
  extra.dfYSize = std::min(h * to_lr_y, lr->GetYSize() - extra.dfYOff);
  const int xoff = static_cast<int>(extra.dfXOff), yoff = static_cast<int>(extra.dfYOff);
  const int xsize = std::max(1, std::min(lr->GetXSize() - xoff, static_cast<int>(std::ceil(extra.dfXOff + extra.dfXSize)) - xoff));
  const int ysize = std::max(1, std::min(lr->GetYSize() - yoff, static_cast<int>(std::ceil(extra.dfYOff + extra.dfYSize)) - yoff));
  const int size = GDALGetDataTypeSizeBytes(eDataType);
  if (h < nBlockYSize || w < nBlockXSize) std::memset(image, 0, static_cast<size_t>(nBlockXSize) * nBlockYSize * size);
  return lr->RasterIO(GF_Read, xoff, yoff, xsize, ysize, image, w, h, eDataType, size,
                      static_cast<GSpacing>(nBlockXSize) * size, &extra);
}

}  // namespace

int GeosrDataset::Identify(GDALOpenInfo* info) {
  if (STARTS_WITH_CI(info->pszFilename, "GEOSR:")) return TRUE;
  if (info->nHeaderBytes <= 0) return FALSE;
  if (is_descriptor(reinterpret_cast<const char*>(info->pabyHeader), info->nHeaderBytes)) return TRUE;
  // The "geosr" key may follow a long comment or source name: a JSON object read only in part is
  // read further before it is declined.
  const std::string_view start(reinterpret_cast<const char*>(info->pabyHeader), static_cast<size_t>(info->nHeaderBytes));
  const size_t first = start.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (first == std::string_view::npos || start[first] != '{' || !info->TryToIngest(kDescriptorScanBytes)) return FALSE;
  return is_descriptor(reinterpret_cast<const char*>(info->pabyHeader), info->nHeaderBytes);
}

GDALDataset* GeosrDataset::Open(GDALOpenInfo* info) {
  if (!Identify(info)) return nullptr;
  if (info->eAccess == GA_Update) {
    CPLError(CE_Failure, CPLE_NotSupported, "GEOSR: super-resolved rasters are read-only");
    return nullptr;
  }
  try {
    const bool descriptor = !STARTS_WITH_CI(info->pszFilename, "GEOSR:");
    const Connection connection = parse_connection(info->pszFilename, descriptor, info->papszOpenOptions);
    auto dataset = std::make_unique<GeosrDataset>();
    {
      // GDAL's reason goes into the one error line the driver reports, not a second one before it.
      const GdalErrorTrap trap;
      dataset->lr_.reset(GDALDataset::Open(connection.source.c_str(), GDAL_OF_RASTER | GDAL_OF_VERBOSE_ERROR));
      // GDAL's reasons name the file ("x.tif: No such file or directory").
      if (!dataset->lr_)
        throw std::runtime_error(trap.first_error().empty() ? "cannot open " + connection.source : trap.first_error());
    }
    // "GEOSR:desc.json" would super-resolve the descriptor's output a second time (25 times larger).
    if (const GDALDriver* driver = dataset->lr_->GetDriver(); driver && EQUAL(driver->GetDescription(), "GEOSR"))
      throw std::runtime_error("the source " + connection.source +
                               " is super-resolved by GEOSR already (open a descriptor without GEOSR:)");
    dataset->raster_ = std::make_unique<SuperResolvedRaster>(connection);
    SuperResolvedRaster& raster = *dataset->raster_;
    dataset->nRasterXSize = static_cast<int>(raster.width());
    dataset->nRasterYSize = static_cast<int>(raster.height());
    if (const auto& gt = raster.source().geotransform()) {
      const GeoTransform t = resampled_geotransform(*gt, raster.source().width(), raster.source().height(),
                                                    raster.width(), raster.height());
      std::copy(t.begin(), t.end(), dataset->transform_);
      dataset->has_geotransform_ = true;
    }
    if (!raster.source().crs_wkt().empty()) {
      dataset->srs_.importFromWkt(raster.source().crs_wkt().c_str());
      dataset->srs_.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    }
    for (const auto& [key, value] : raster.metadata()) dataset->SetMetadataItem(key.c_str(), value.c_str());
    dataset->SetMetadataItem("INTERLEAVE", "PIXEL", "IMAGE_STRUCTURE");
    for (int b = 1; b <= raster.bands(); ++b)
      dataset->SetBand(b, new GeosrBand(dataset.get(), b, raster.source().bands()[static_cast<size_t>(b - 1)]));
    dataset->SetDescription(info->pszFilename);
    return dataset.release();
  } catch (const std::exception& e) {
    CPLError(CE_Failure, CPLE_OpenFailed, "GEOSR: %s", error_text(e).c_str());
    return nullptr;
  }
}

CPLErr GeosrDataset::GetGeoTransform(double* transform) {
  std::copy(transform_, transform_ + 6, transform);
  return has_geotransform_ ? CE_None : CE_Failure;
}

const OGRSpatialReference* GeosrDataset::GetSpatialRef() const { return srs_.IsEmpty() ? nullptr : &srs_; }

}  // namespace geosr::gdal
