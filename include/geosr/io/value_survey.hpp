#pragma once
// Where a scene's values fall under the value rule, from a grid of small windows read as the run
// reads them (its bands, NoData and masks): before hours of denoising, values far beyond the range
// (reflectances 0..10000 under a Float band's 0..1) or in a sliver of it (11-bit counts under
// UInt16's 0..65535), both far from any scene the model learnt, are worth a warning.

#include <cstdint>
#include <optional>
#include <string>

namespace geosr {

class RasterSource;

struct ValueSurvey {
  int64_t samples = 0;   // valid samples read, over all selected bands
  int64_t outside = 0;   // of them, mapped beyond [-1, 1]
  double low = 0.0;      // the smallest and largest in model space
  double high = 0.0;
  double file_low = 0.0;  // and as the file holds them
  double file_high = 0.0;
  // Of every window read, values and validity (runtime.hpp's digest): a resumed run checks that
  // its input still holds the same pixels, not only the same name.
  uint64_t digest = 0;
};

// Reads up to `windows` x `windows` windows of `side` x `side` pixels spread over the scene (the
// whole scene when it is smaller); throws on read errors as RasterSource does.
ValueSurvey survey_values(const RasterSource& source, int64_t windows = 16, int64_t side = 32);

// What `survey` of `source` is worth saying, ending with `fix` (how the caller's user gives the
// range: "give --in-range LO,HI"); nothing when the values suit the model.
std::optional<std::string> value_rule_warning(const RasterSource& source, const ValueSurvey& survey,
                                              const std::string& fix);

}  // namespace geosr
