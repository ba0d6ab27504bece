// geosr seg: the downstream segmentation check (does super-resolved imagery help a real task?).
// train a U-Net on labelled rasters, predict whole scenes, score predictions like the paper's Table 3.

#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "seg_commands.hpp"

namespace geosr::cli {

int seg_command(const std::vector<std::string>& args) {
  const bool known = !args.empty() && (args[0] == "train" || args[0] == "predict" || args[0] == "eval");
  return guarded(known ? "seg " + args[0] : "seg", [&] {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
      std::cout << "Usage: geosr seg train|predict|eval [options]\n"
                   "  train    train a segmentation model on labelled rasters\n"
                   "  predict  segment a scene with Gaussian-weighted sliding windows\n"
                   "  eval     score class predictions against label rasters or vector labels\n";
      if (args.empty()) throw UsageError("give a seg subcommand (train, predict, eval)");
      return 0;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "train") return seg_train(rest);
    if (args[0] == "predict") return seg_predict(rest);
    if (args[0] == "eval") return seg_eval(rest);
    throw UsageError("unknown seg subcommand '" + args[0] + "' (available: train, predict, eval)");
  });
}

}  // namespace geosr::cli
