#pragma once
// The subcommands of `geosr seg`, one file each.

#include <string>
#include <vector>

namespace geosr::cli {

int seg_train(const std::vector<std::string>& args);
int seg_predict(const std::vector<std::string>& args);
int seg_eval(const std::vector<std::string>& args);

}  // namespace geosr::cli
