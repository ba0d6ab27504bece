#include "geosr/io/raster_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <unistd.h>

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include "geosr/io/gdal_errors.hpp"

namespace geosr {
namespace {

void close_dataset(GDALDataset* dataset) {
  if (dataset) GDALClose(dataset);
}

// Checks the things GDAL would report vaguely ("not recognized") with a precise reason instead.
// Through VSIStatL, so /vsizip/, /vsicurl/ and the other virtual paths count as files.
void check_readable_file(const std::string& path) {
  if (path.empty()) throw std::runtime_error("no input file given");
  VSIStatBufL stat;
  if (VSIStatL(path.c_str(), &stat) != 0) {
    // Names like NETCDF:file.nc:var are no files, yet GDAL opens them.
    if (path.find(':') == std::string::npos) throw std::runtime_error("no such file: " + path);
    return;
  }
  if (VSI_ISDIR(stat.st_mode)) throw std::runtime_error("not a raster file but a directory: " + path);
  if (!STARTS_WITH(path.c_str(), "/vsi") && ::access(path.c_str(), R_OK) != 0) {
    throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  }
}

// Whether the band's mask says something about validity that the data itself does not: alpha
// masks are ignored when the alpha band is itself processed as data (e.g. NAIP tiles whose
// near-infrared band is tagged as alpha).
bool band_uses_mask(GDALRasterBand* band, bool alpha_is_data) {
  const int flags = band->GetMaskFlags();
  if (flags & GMF_ALL_VALID) return false;
  if ((flags & GMF_ALPHA) && alpha_is_data) return false;
  return true;
}

}  // namespace

RasterSource::RasterSource(const std::string& path, const std::vector<int>& bands,
                           const std::vector<ValueRange>& ranges, const std::string& range_option)
    : path_(path), dataset_(nullptr, close_dataset) {
  check_readable_file(path);
  register_gdal();
  GdalErrorTrap trap;
  dataset_.reset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR));
  if (!dataset_) trap.fail("cannot open " + path + " as a raster");
  const int count = dataset_->GetRasterCount();
  if (count < 1) throw std::runtime_error(path + " has no raster bands");
  width_ = dataset_->GetRasterXSize();
  height_ = dataset_->GetRasterYSize();

  std::vector<int> selected = bands;
  if (selected.empty()) {
    for (int b = 1; b <= count; ++b) selected.push_back(b);
  }
  bool alpha_is_data = false;
  for (int index : selected) {
    if (index < 1 || index > count) {
      throw std::runtime_error("band " + std::to_string(index) + " is out of range: " + path + " has " +
                               std::to_string(count) + " band" + (count == 1 ? "" : "s"));
    }
    GDALRasterBand* band = dataset_->GetRasterBand(index);
    BandInfo info;
    info.index = index;
    info.type = band->GetRasterDataType();
    int has_nodata = 0;
    const double nodata = band->GetNoDataValue(&has_nodata);
    if (has_nodata) info.nodata = nodata;
    info.color = band->GetColorInterpretation();
    info.description = band->GetDescription();
    info.mask_flags = band->GetMaskFlags();
    info.scale = band->GetScale();
    info.offset = band->GetOffset();
    info.unit = band->GetUnitType();
    alpha_is_data = alpha_is_data || info.color == GCI_AlphaBand;
    bands_.push_back(info);
  }
  std::vector<GDALDataType> types;
  for (const auto& b : bands_) types.push_back(b.type);
  const auto per_band = ranges_for_bands(ranges, types, range_option);
  for (size_t b = 0; b < bands_.size(); ++b) bands_[b].range = per_band[b];
  for (const auto& b : bands_) {
    // A floating-point band can hold NaN, invalid with no NoData value or mask to say so.
    masked_ = masked_ || band_uses_mask(dataset_->GetRasterBand(b.index), alpha_is_data) ||
              GDALDataTypeIsFloating(b.type);
  }
  alpha_is_data_ = alpha_is_data;

  int block_w = 0;
  int block_h = 0;
  dataset_->GetRasterBand(bands_.front().index)->GetBlockSize(&block_w, &block_h);
  block_size_ = {std::max(block_w, 1), std::max(block_h, 1)};

  GeoTransform gt{};
  if (dataset_->GetGeoTransform(gt.data()) == CE_None) geotransform_ = gt;
  if (const OGRSpatialReference* srs = dataset_->GetSpatialRef()) {
    char* wkt = nullptr;
    const char* options[] = {"FORMAT=WKT2_2019", nullptr};
    if (srs->exportToWkt(&wkt, options) == OGRERR_NONE && wkt) crs_wkt_ = wkt;
    CPLFree(wkt);
  }
  if (const char* area = dataset_->GetMetadataItem(GDALMD_AREA_OR_POINT)) area_or_point_ = area;
  CPLErrorReset();
}

RasterSource::~RasterSource() = default;
RasterSource::RasterSource(RasterSource&&) noexcept = default;
RasterSource& RasterSource::operator=(RasterSource&&) noexcept = default;

std::string RasterSource::driver_name() const { return dataset_->GetDriver()->GetDescription(); }

GDALDataType RasterSource::data_type() const {
  GDALDataType type = bands_.front().type;
  for (const auto& b : bands_) type = GDALDataTypeUnion(type, b.type);
  return type;
}

RasterSource::RawWindow RasterSource::read_raw(Span rows, Span cols) const {
  if (rows.begin < 0 || cols.begin < 0 || rows.end > height_ || cols.end > width_ || rows.size() < 1 ||
      cols.size() < 1) {
    throw std::runtime_error("window outside the raster " + path_);
  }
  const int x = static_cast<int>(cols.begin), y = static_cast<int>(rows.begin);
  const int w = static_cast<int>(cols.size()), h = static_cast<int>(rows.size());
  const int64_t n = static_cast<int64_t>(bands_.size());
  GdalErrorTrap trap;

  auto values = torch::empty({n, h, w}, torch::kFloat64);
  std::vector<int> band_map;
  for (const auto& b : bands_) band_map.push_back(b.index);
  if (dataset_->RasterIO(GF_Read, x, y, w, h, values.data_ptr<double>(), w, h, GDT_Float64,
                         static_cast<int>(n), band_map.data(), 0, 0, 0, nullptr) != CE_None) {
    trap.fail("cannot read " + path_);
  }

  auto band_valid = torch::isfinite(values);
  if (masked_) {
    torch::Tensor dataset_mask;  // per-dataset masks are read once for all bands
    for (int64_t b = 0; b < n; ++b) {
      GDALRasterBand* band = dataset_->GetRasterBand(bands_[b].index);
      if (!band_uses_mask(band, alpha_is_data_)) continue;
      const bool shared = band->GetMaskFlags() & GMF_PER_DATASET;
      if (!shared || !dataset_mask.defined()) {
        auto mask = torch::empty({h, w}, torch::kUInt8);
        if (band->GetMaskBand()->RasterIO(GF_Read, x, y, w, h, mask.data_ptr<uint8_t>(), w, h, GDT_Byte, 0, 0,
                                          nullptr) != CE_None) {
          trap.fail("cannot read the mask of " + path_);
        }
        if (shared) dataset_mask = mask;
        band_valid[b].logical_and_(mask != 0);
      } else {
        band_valid[b].logical_and_(dataset_mask != 0);
      }
    }
  }

  return {values, band_valid};
}

RasterWindow RasterSource::read(Span rows, Span cols) const {
  const RawWindow raw = read_raw(rows, cols);
  auto model = torch::empty_like(raw.values);
  for (int64_t b = 0; b < model.size(0); ++b) {
    model[b] = torch::where(raw.band_valid[b], to_model(raw.values[b], bands_[b].range), torch::zeros({}, torch::kFloat64));
  }
  return {model.to(torch::kFloat32), raw.band_valid.any(0)};
}

RasterWindow RasterSource::read_values(Span rows, Span cols) const {
  const RawWindow raw = read_raw(rows, cols);
  return {torch::where(raw.band_valid, raw.values, torch::zeros({}, torch::kFloat64)).to(torch::kFloat32),
          raw.band_valid.any(0)};
}

RasterSource open_model_input(const std::string& path, std::vector<int> bands, const std::vector<ValueRange>& ranges,
                              int64_t channels, const std::string& choose, const std::string& range_option) {
  if (bands.empty() && static_cast<int64_t>(RasterSource(path).bands().size()) > channels) {
    for (int b = 1; b <= channels; ++b) bands.push_back(b);
  }
  RasterSource source(path, bands, ranges, range_option);
  const auto selected = static_cast<int64_t>(source.bands().size());
  if (selected != channels) {
    throw std::invalid_argument("the model takes " + std::to_string(channels) + " bands but " + std::to_string(selected) +
                                (selected == 1 ? " is" : " are") + " selected (choose them with " + choose + ")");
  }
  return source;
}

std::runtime_error no_valid_pixels(const std::string& path) {
  return std::runtime_error("no valid pixels: every input pixel is NoData or masked in " + path);
}

bool RasterSource::any_valid() const {
  if (!masked_) return width_ > 0 && height_ > 0;
  // Bands of whole blocks, so each block is decoded once; most rasters answer in the first band.
  const int64_t step = std::max<int64_t>(block_size_[1], std::max<int64_t>(1, (int64_t{1} << 22) / std::max<int64_t>(width_, 1)));
  for (int64_t y = 0; y < height_; y += step) {
    if (read_raw({y, std::min(height_, y + step)}, {0, width_}).band_valid.any().item<bool>()) return true;
  }
  return false;
}

}  // namespace geosr
