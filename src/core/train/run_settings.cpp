#include "geosr/core/train/run_settings.hpp"

#include <charconv>
#include <cstdlib>
#include <stdexcept>

namespace geosr {
namespace {

// Numbers compare by value: checkpoints written before setting_value() recorded 17 digits.
bool same_value(const std::string& a, const std::string& b) {
  if (a == b) return true;
  char* end_a = nullptr;
  char* end_b = nullptr;
  const double x = std::strtod(a.c_str(), &end_a), y = std::strtod(b.c_str(), &end_b);
  return !a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0' && x == y;
}

}  // namespace

std::string setting_value(double value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

void record_settings(Metadata& metadata, const std::vector<RunSetting>& settings) {
  for (const auto& s : settings) metadata[s.key] = s.value;
}

void check_resumed_settings(const Metadata& recorded, const std::vector<RunSetting>& settings) {
  for (const auto& s : settings) {
    const auto it = recorded.find(s.key);
    if (it != recorded.end() && !same_value(it->second, s.value))
      throw std::runtime_error("cannot resume: the run was trained with " + s.option + " " + it->second + ", not " +
                               s.value + " (give the run's value, or start a new run from its weights with --init)");
  }
}

}  // namespace geosr
