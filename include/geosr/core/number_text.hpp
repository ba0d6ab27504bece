#pragma once
// Numbers as people read them in messages and reports (exact_number.hpp is for text that must
// read back to the same double).

#include <string>

namespace geosr {

// Shortest decimal text of a number to twelve digits ("5", "2.5").
std::string format_number(double value);

// A share as a percentage to one decimal ("9.3 %" for 0.0932).
std::string format_percent(double share);

}  // namespace geosr
