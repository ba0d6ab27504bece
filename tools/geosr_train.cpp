// geosr-train: `geosr train` without GDAL, for machines that have LibTorch (and a GPU) but no
// GDAL. It reads chip shards made elsewhere by `geosr chips`.

#include <iostream>
#include <string>
#include <vector>

#include "geosr/core/runtime.hpp"
#include "geosr/core/train/training_run.hpp"

int main(int argc, char** argv) {
  geosr::fail_writes_past_file_size_limit();
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::cout << geosr::training_usage("geosr-train");
      return 0;
    }
  geosr::TrainingConfig config;
  try {
    config = geosr::parse_training_args(args);
  } catch (const std::exception& e) {
    std::cerr << "geosr-train: error: " << e.what() << "\n";
    return 2;
  }
  config.command_line = "geosr-train " + config.command_line;
  try {
    const auto summary = geosr::run_training(config, std::cout);
    if (!summary.interrupted) return 0;
    std::cerr << "geosr-train: " << geosr::interruption_text(summary) << "\n";
    return geosr::interruption_exit_code(summary);
  } catch (const std::exception& e) {
    std::cerr << "geosr-train: error: " << geosr::error_text(e) << "\n";
    return 1;
  }
}
