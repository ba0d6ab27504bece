#pragma once
// One line for a failed system call: what geosr was doing, then the C library's reason.

#include <cerrno>
#include <cstring>
#include <string>

namespace geosr {

inline std::string errno_message(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace geosr
