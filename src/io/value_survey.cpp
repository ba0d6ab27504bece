#include "geosr/io/value_survey.hpp"

#include <algorithm>
#include <limits>

#include "geosr/core/number_text.hpp"
#include "geosr/core/runtime.hpp"
#include "geosr/io/raster_source.hpp"
#include "geosr/io/value_range.hpp"

namespace geosr {

ValueSurvey survey_values(const RasterSource& source, int64_t windows, int64_t side) {
  ValueSurvey survey;
  survey.low = survey.file_low = std::numeric_limits<double>::infinity();
  survey.high = survey.file_high = -std::numeric_limits<double>::infinity();
  const int64_t w = std::min(side, source.width()), h = std::min(side, source.height());
  const int64_t columns = std::min(windows, source.width() / w), rows = std::min(windows, source.height() / h);
  const auto& bands = source.bands();
  survey.digest = kDigestStart;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < columns; ++j) {
      // Evenly spread and block-sized, so a tiled scene without overviews is read a few tiles, not whole.
      const int64_t top = (source.height() - h) * i / std::max<int64_t>(rows - 1, 1);
      const int64_t left = (source.width() - w) * j / std::max<int64_t>(columns - 1, 1);
      const RasterWindow window = source.read_values({top, top + h}, {left, left + w});
      survey.digest = tensor_digest(window.valid, tensor_digest(window.data, survey.digest));
      const auto valid = window.valid.flatten();
      if (!valid.any().item<bool>()) continue;
      for (size_t b = 0; b < bands.size(); ++b) {
        const auto values = window.data[static_cast<int64_t>(b)].flatten().masked_select(valid).to(torch::kDouble);
        const auto model = to_model(values, bands[b].range);
        survey.samples += values.numel();
        survey.outside += (model.abs() > 1.0).sum().item<int64_t>();
        survey.low = std::min(survey.low, model.min().item<double>());
        survey.high = std::max(survey.high, model.max().item<double>());
        survey.file_low = std::min(survey.file_low, values.min().item<double>());
        survey.file_high = std::max(survey.file_high, values.max().item<double>());
      }
    }
  return survey.samples ? survey : ValueSurvey{};
}

namespace {

// "0..255" for a rule all bands share, else each distinct range once.
std::string ranges_text(const RasterSource& source) {
  std::string text;
  for (const auto& band : source.bands()) {
    const std::string range = format_number(band.range.lo) + ".." + format_number(band.range.hi);
    if (text.find(range) == std::string::npos) text += (text.empty() ? "" : ", ") + range;
  }
  return text;
}

}  // namespace

std::optional<std::string> value_rule_warning(const RasterSource& source, const ValueSurvey& survey,
                                              const std::string& fix) {
  if (survey.samples == 0) return {};
  const std::string values =
      "the values (" + format_number(survey.file_low) + ".." + format_number(survey.file_high) + ", sampled)";
  if (survey.outside * 100 > survey.samples) {
    return format_percent(static_cast<double>(survey.outside) / static_cast<double>(survey.samples)) + " of " + values +
           " lie outside the value range " + ranges_text(source) + ", far from any scene the model learnt; " + fix;
  }
  // A model trained on scenes that fill their range sees a sliver of it as a flat field.
  const double fill = (survey.high - survey.low) / 2.0;
  if (fill < 0.25)
    return values + " fill only " + format_percent(fill) + " of the value range " + ranges_text(source) +
           ": the model sees a flat scene; " + fix;
  return {};
}

}  // namespace geosr
