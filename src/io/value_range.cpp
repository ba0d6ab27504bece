#include "geosr/io/value_range.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "geosr/core/list_items.hpp"
#include "geosr/core/whole_number.hpp"

namespace geosr {

ValueRange default_range(GDALDataType type) {
  switch (type) {
    case GDT_Byte: return {0.0, 255.0};
    case GDT_UInt16: return {0.0, 65535.0};
    case GDT_Int16: return {-32768.0, 32767.0};
    case GDT_UInt32: return {0.0, 4294967295.0};
    case GDT_Int32: return {-2147483648.0, 2147483647.0};
    case GDT_Float32:
    case GDT_Float64: return {0.0, 1.0};
    default:
      throw std::runtime_error(std::string("unsupported data type ") + GDALGetDataTypeName(type) +
                               " (geosr reads Byte, UInt16, Int16, UInt32, Int32, Float32, Float64)");
  }
}

std::vector<ValueRange> parse_ranges(const std::string& text, const std::string& option) {
  const auto items = list_items(text);
  if (!items) throw std::invalid_argument(empty_item_text(option, text));
  std::vector<double> values;
  for (const auto& item : *items) {
    const auto value = whole_number<double>(item);
    if (!value || !std::isfinite(*value)) {
      throw std::invalid_argument(option + ": '" + item + "' is not a number in '" + text + "'");
    }
    values.push_back(*value);
  }
  if (values.empty() || values.size() % 2 != 0) {
    throw std::invalid_argument(option + " takes lo,hi pairs (got '" + text + "')");
  }
  std::vector<ValueRange> ranges;
  for (size_t i = 0; i < values.size(); i += 2) {
    if (!(values[i] < values[i + 1])) {
      throw std::invalid_argument(option + ": lo must be below hi (got '" + text + "')");
    }
    // The network sees float32: a span so narrow (0,1e-300) that its scale overflows there, or so wide that
    // hi - lo is infinite, would fail hours later as NaN in the canvas.
    const double span = values[i + 1] - values[i];
    if (!std::isfinite(span) || !(2.0 / span <= std::numeric_limits<float>::max()))
      throw std::invalid_argument(option + ": the range " + text + " is too narrow or too wide to map to [-1, 1]");
    ranges.push_back({values[i], values[i + 1]});
  }
  return ranges;
}

std::vector<ValueRange> ranges_for_bands(const std::vector<ValueRange>& given, const std::vector<GDALDataType>& types,
                                         const std::string& option) {
  std::vector<ValueRange> ranges;
  for (size_t b = 0; b < types.size(); ++b) {
    if (given.empty()) {
      ranges.push_back(default_range(types[b]));
    } else if (given.size() == 1) {
      default_range(types[b]);  // still refuse unsupported types
      ranges.push_back(given[0]);
    } else if (given.size() == types.size()) {
      default_range(types[b]);
      ranges.push_back(given[b]);
    } else {
      throw std::invalid_argument(option + " gives " + std::to_string(given.size()) + " ranges for " +
                                  std::to_string(types.size()) + " bands (give one, or one per band)");
    }
  }
  return ranges;
}

torch::Tensor to_model(const torch::Tensor& values, ValueRange range) {
  return (values.to(torch::kFloat64) - range.lo) * (2.0 / (range.hi - range.lo)) - 1.0;
}

namespace {

// A valid value equal to the NoData value would read back as invalid; move it one step inwards.
torch::Tensor avoid_nodata(torch::Tensor values, double nodata, GDALDataType type) {
  double replacement = 0.0;
  if (GDALDataTypeIsInteger(type)) {
    replacement = nodata < default_range(type).hi ? nodata + 1.0 : nodata - 1.0;
  } else {
    replacement = std::nextafter(nodata, nodata < 0 ? 0.0 : -HUGE_VAL);
  }
  return torch::where(values == nodata, torch::full({}, replacement, torch::kFloat64), values);
}

}  // namespace

torch::Tensor from_model(const torch::Tensor& model, ValueRange range, GDALDataType type) {
  auto values = (model.to(torch::kFloat64) + 1.0) * (0.5 * (range.hi - range.lo)) + range.lo;
  switch (type) {
    case GDT_Float64: return values;
    case GDT_Float32:
      return values.clamp(-std::numeric_limits<float>::max(), std::numeric_limits<float>::max());
    default: {
      const ValueRange limits = default_range(type);
      return values.round().clamp(limits.lo, limits.hi);
    }
  }
}

torch::Tensor output_values(const torch::Tensor& model, ValueRange range, GDALDataType type, const torch::Tensor& valid,
                            std::optional<double> nodata) {
  const torch::Tensor values = from_model(model, range, type);
  if (!nodata) return values;
  return torch::where(valid, avoid_nodata(values, *nodata, type), torch::full({}, *nodata, torch::kFloat64));
}

}  // namespace geosr
