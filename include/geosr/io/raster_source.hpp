#pragma once
// A GDAL raster opened for reading model-range windows: band selection, the per-band value rule,
// and a validity mask from NoData values and mask bands.

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gdal.h>
#include <torch/torch.h>

#include "geosr/core/resample/resample.hpp"
#include "geosr/io/georef.hpp"
#include "geosr/io/value_range.hpp"

class GDALDataset;

namespace geosr {

struct BandInfo {
  int index = 0;  // 1-based, in the file
  GDALDataType type = GDT_Unknown;
  ValueRange range;
  std::optional<double> nodata;
  GDALColorInterp color = GCI_Undefined;
  std::string description;
  int mask_flags = GMF_ALL_VALID;  // GDALRasterBand::GetMaskFlags
  // What the stored values mean (physical = value * scale + offset, in unit): Landsat and
  // Sentinel-2 reflectances are stored as scaled counts. Outputs hold values in the same units.
  double scale = 1.0;
  double offset = 0.0;
  std::string unit;
};

// Window of the raster in model space.
struct RasterWindow {
  torch::Tensor data;   // (bands, h, w) float32; invalid samples hold 0 so results never depend on them
  torch::Tensor valid;  // (h, w) bool; a pixel is valid when any selected band is valid there
};

class RasterSource {
 public:
  // `bands`: 1-based band numbers (empty: all). `ranges`: see ranges_for_bands. Throws
  // std::runtime_error with a one-line reason (missing, unreadable, not a raster, bad band), and
  // std::invalid_argument, the user's to fix, for ranges that do not fit the bands (naming
  // `range_option`, the way the user gave them).
  explicit RasterSource(const std::string& path, const std::vector<int>& bands = {},
                        const std::vector<ValueRange>& ranges = {}, const std::string& range_option = "--in-range");
  ~RasterSource();
  RasterSource(RasterSource&&) noexcept;
  RasterSource& operator=(RasterSource&&) noexcept;

  const std::string& path() const { return path_; }
  std::string driver_name() const;
  int64_t width() const { return width_; }
  int64_t height() const { return height_; }
  const std::vector<BandInfo>& bands() const { return bands_; }
  // The file's natural block (tile or strip) of the first selected band: {width, height}.
  std::array<int64_t, 2> block_size() const { return block_size_; }
  const std::optional<GeoTransform>& geotransform() const { return geotransform_; }
  const std::string& crs_wkt() const { return crs_wkt_; }  // empty when the file has none
  // The dataset's AREA_OR_POINT ("Area", "Point"; empty when the file does not say).
  const std::string& area_or_point() const { return area_or_point_; }
  // Whether some pixels may be invalid (a NoData value or a mask band on a selected band, or a
  // floating-point band, where NaN is invalid).
  bool has_invalid_pixels() const { return masked_; }
  // Whether some pixel is valid; reads until it finds one (all of an all-NoData raster).
  bool any_valid() const;
  // The smallest GDAL type that holds every selected band.
  GDALDataType data_type() const;

  // Reads rows x cols (half-open, inside the raster); throws std::runtime_error on read errors.
  RasterWindow read(Span rows, Span cols) const;
  // The same window as the file's values (float32), without the value rule.
  RasterWindow read_values(Span rows, Span cols) const;

 private:
  struct RawWindow {
    torch::Tensor values;      // (bands, h, w) float64 as in the file
    torch::Tensor band_valid;  // (bands, h, w) bool
  };
  RawWindow read_raw(Span rows, Span cols) const;

  std::string path_;
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> dataset_;
  int64_t width_ = 0;
  int64_t height_ = 0;
  std::vector<BandInfo> bands_;
  std::array<int64_t, 2> block_size_{};
  std::optional<GeoTransform> geotransform_;
  std::string crs_wkt_;
  std::string area_or_point_;
  bool masked_ = false;
  bool alpha_is_data_ = false;
};

// The bands of `path` a model taking `channels` bands reads: `bands` when given, else all of them,
// or the first `channels` when the file has more (1,2,3 of an RGBN file for an RGB model).
// std::invalid_argument when their number is not `channels`; `choose` says how a user picks bands
// (-b, bands=), `range_option` how they give ranges (--in-range, in_range).
RasterSource open_model_input(const std::string& path, std::vector<int> bands, const std::vector<ValueRange>& ranges,
                              int64_t channels, const std::string& choose, const std::string& range_option = "--in-range");

// The error for a raster without a single valid pixel.
std::runtime_error no_valid_pixels(const std::string& path);

}  // namespace geosr
