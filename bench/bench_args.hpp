#pragma once
// The benchmarks' command lines: "--name value" pairs over a table of defaults, where an unknown
// name is an error rather than a silently default run.

#include <map>
#include <stdexcept>
#include <string>

namespace geosr::bench {

using Args = std::map<std::string, std::string>;

inline Args parse_args(int argc, char** argv, Args defaults, const std::string& usage_in) {
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || i + 1 >= argc || !defaults.count(key.substr(2)))
      throw std::runtime_error("bad argument '" + key + "' (see the usage at the top of " + usage_in + ")");
    defaults[key.substr(2)] = argv[++i];
  }
  return defaults;
}

}  // namespace geosr::bench
