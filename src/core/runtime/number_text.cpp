#include "geosr/core/number_text.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

namespace geosr {

std::string format_number(double value) {
  std::ostringstream text;
  text << std::setprecision(12) << value;
  return text.str();
}

std::string format_percent(double share) { return format_number(std::round(share * 1000.0) / 10.0) + " %"; }

}  // namespace geosr
