#pragma once
// Numbers written as text that must read back to the same double: settings recorded in metadata
// and compared on resume, cache keys, JSON, VRT arguments. Six decimals would let two settings
// share one record.

#include <string>

namespace geosr {

// Seventeen significant digits: every finite double reads back exactly.
std::string exact_number(double value);

}  // namespace geosr
