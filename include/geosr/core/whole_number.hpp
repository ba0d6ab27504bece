#pragma once
// Text that must be a number and nothing else (option values, lists of ranges or bands): std::stod
// and std::stoi read "5x" as 5 and throw on what they cannot read at all; both are "not a number"
// here, as is a value outside the type.

#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace geosr {

// The whole of `text` as a T (std::stoll's or std::stod's syntax), or nothing.
template <typename T>
std::optional<T> whole_number(const std::string& text) {
  size_t used = 0;
  T value{};
  try {
    if constexpr (std::is_integral_v<T>) {
      const long long wide = std::stoll(text, &used);
      if (wide < std::numeric_limits<T>::min() || wide > std::numeric_limits<T>::max()) return std::nullopt;
      value = static_cast<T>(wide);
    } else {
      value = static_cast<T>(std::stod(text, &used));
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != text.size()) return std::nullopt;
  return value;
}

}  // namespace geosr
