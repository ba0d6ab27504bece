#pragma once
// The explicit rule that maps raster values to the model range [-1, 1] and back. Each band has a
// fixed value range [lo, hi] -> [-1, 1]: by default the full range of its data type (0..1 for
// floating point), or what the user gives with --in-range. Never a per-scene statistic, so the
// same pixel value always means the same model value.

#include <optional>
#include <string>
#include <vector>

#include <gdal.h>
#include <torch/torch.h>

namespace geosr {

struct ValueRange {
  double lo = 0.0;
  double hi = 1.0;
};

// Default range of a data type; throws std::runtime_error for types geosr does not read.
ValueRange default_range(GDALDataType type);

// Parses "lo,hi[,lo,hi...]" into pairs (lo < hi, finite); throws std::invalid_argument, whose
// message names the text `option` (--in-range, in_range).
std::vector<ValueRange> parse_ranges(const std::string& text, const std::string& option = "--in-range");

// One range per band: the defaults when `given` is empty, `given[0]` for every band when it has
// one pair, else exactly one pair per band (otherwise std::invalid_argument naming `option`).
std::vector<ValueRange> ranges_for_bands(const std::vector<ValueRange>& given, const std::vector<GDALDataType>& types,
                                         const std::string& option = "--in-range");

// Values (double) -> model range, and back. from_model rounds to the nearest integer for integer
// types and clamps to what `type` can hold; float results are not clamped to [lo, hi].
torch::Tensor to_model(const torch::Tensor& values, ValueRange range);
torch::Tensor from_model(const torch::Tensor& model, ValueRange range, GDALDataType type);

// One band of output values: from_model, then invalid pixels set to `nodata` and valid values equal
// to it moved one step inwards (they would read back as NoData). Without a NoData value the
// values are left as they are.
torch::Tensor output_values(const torch::Tensor& model, ValueRange range, GDALDataType type, const torch::Tensor& valid,
                            std::optional<double> nodata);

}  // namespace geosr
