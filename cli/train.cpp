// geosr train: SR3 training on chip shards (the same run as the GDAL-free geosr-train program).

#include <iostream>

#include "commands.hpp"
#include "geosr/core/train/training_run.hpp"
#include "options.hpp"

namespace geosr::cli {

int train_command(const std::vector<std::string>& args) {
  return guarded("train", [&] {
    for (const auto& a : args)
      if (a == "--help" || a == "-h") {
        std::cout << training_usage("geosr train");
        return 0;
      }
    TrainingConfig config;
    try {
      config = parse_training_args(args);
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
    config.command_line = "geosr train " + config.command_line;
    const auto summary = run_training(config, std::cout);
    if (!summary.interrupted) return 0;
    std::cerr << "geosr train: " << interruption_text(summary) << "\n";
    return interruption_exit_code(summary);
  });
}

}  // namespace geosr::cli
