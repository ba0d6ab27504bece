#include "geosr/core/exact_number.hpp"

#include <cstdio>

namespace geosr {

std::string exact_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

}  // namespace geosr
