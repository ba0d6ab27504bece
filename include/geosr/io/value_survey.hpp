#pragma once
// Where a scene's values fall under the value rule, from a decimated read (GDAL's overviews when
// the file has them): before hours of denoising, a scene the model would see as white (values far
// beyond the range, like reflectances 0..10000 under a Float band's 0..1) or as a flat dark field
// (values in a sliver of it, like 0..3000 under UInt16's 0..65535) is worth a warning.

#include <cstdint>

namespace geosr {

class RasterSource;

struct ValueSurvey {
  int64_t samples = 0;   // valid samples read, over all selected bands
  int64_t outside = 0;   // of them, mapped beyond [-1, 1]
  double low = 0.0;      // the smallest and largest in model space
  double high = 0.0;
  double file_low = 0.0;  // and as the file holds them
  double file_high = 0.0;
};

// Reads every selected band at about `side` x `side` pixels. A file GDAL cannot read that way
// gives an empty survey: the run reports it.
ValueSurvey survey_values(const RasterSource& source, int64_t side = 512);

}  // namespace geosr
