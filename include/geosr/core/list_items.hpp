#pragma once
// Comma-separated option values (-b 1,2,3, --in-range lo,hi, --grid W,S, --chips a,b). An empty
// item ("1,,2", "1,2,", ",") is a typo, not something to skip: every list option refuses it the
// same way, and none reads "--grid 128,,96" as 128,96.

#include <optional>
#include <string>
#include <vector>

namespace geosr {

// The items of `text` split at commas, or nothing when one of them is empty.
inline std::optional<std::vector<std::string>> list_items(const std::string& text) {
  std::vector<std::string> items;
  for (size_t begin = 0;;) {
    const size_t comma = text.find(',', begin);
    const size_t end = comma == std::string::npos ? text.size() : comma;
    if (end == begin) return std::nullopt;
    items.push_back(text.substr(begin, end - begin));
    if (comma == std::string::npos) return items;
    begin = comma + 1;
  }
}

// The refusal every list option gives for an empty item.
inline std::string empty_item_text(const std::string& option, const std::string& text) {
  return option + ": empty item in '" + text + "'";
}

}  // namespace geosr
