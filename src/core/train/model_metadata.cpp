#include "geosr/core/train/model_metadata.hpp"

#include <stdexcept>

#include "../network/json.hpp"

namespace geosr {

std::string ScheduleSpec::to_json() const {
  return "{\"kind\":" + json::quote(to_string(kind)) + ",\"steps\":" + std::to_string(steps) +
         ",\"beta_start\":" + json::number(beta_start) + ",\"beta_end\":" + json::number(beta_end) + "}";
}

ScheduleSpec ScheduleSpec::from_json(const std::string& text) {
  try {
    const json::Value root = json::parse(text);
    ScheduleSpec s;
    s.kind = parse_schedule_kind(root.at("kind").as_string());
    s.steps = static_cast<int>(root.at("steps").as_integer());
    s.beta_start = root.at("beta_start").as_number();
    s.beta_end = root.at("beta_end").as_number();
    return s;
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("bad geosr.schedule metadata: ") + e.what());
  }
}

ScheduleSpec schedule_of(const Metadata& metadata) {
  const auto found = metadata.find("geosr.schedule");
  return found == metadata.end() ? ScheduleSpec{} : ScheduleSpec::from_json(found->second);
}

}  // namespace geosr
