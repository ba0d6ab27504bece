#pragma once
// The subcommands of the geosr program; each lives in its own file and returns the exit code.

#include <string>
#include <vector>

namespace geosr::cli {

int info_command(const std::vector<std::string>& args);
int degrade_command(const std::vector<std::string>& args);
int sr_command(const std::vector<std::string>& args);
int chips_command(const std::vector<std::string>& args);
int train_command(const std::vector<std::string>& args);
int eval_command(const std::vector<std::string>& args);
int seg_command(const std::vector<std::string>& args);
int vrt_command(const std::vector<std::string>& args);
int batch_command(const std::vector<std::string>& args);

}  // namespace geosr::cli
