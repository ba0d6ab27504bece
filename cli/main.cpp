// geosr: super-resolution of geospatial rasters. Dispatches to one subcommand per file.

#include <cpl_error.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "batch_runner.hpp"
#include "commands.hpp"
#include "geosr/core/runtime.hpp"
#include "geosr/version.hpp"
#include "options.hpp"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>&);
};

const Command kCommands[] = {
    {"info", "describe a raster and what geosr would do with it", geosr::cli::info_command},
    {"degrade", "make a low-resolution raster by area downsampling (--scale, default 5)", geosr::cli::degrade_command},
    {"sr", "super-resolve a raster (diffusion with the bundled model; --method bicubic)", geosr::cli::sr_command},
    {"chips", "cut HR training chips from rasters into a chip shard (docs/chips.md)", geosr::cli::chips_command},
    {"train", "train an SR3 model on chip shards (--chips, --out, --max-steps / --time-limit)", geosr::cli::train_command},
    {"eval", "compare candidates with the HR reference (--reference, --candidate; docs/eval.md)", geosr::cli::eval_command},
    {"vrt", "write a VRT whose bands super-resolve SRC through the GDAL plugin's geosr_sr pixel function", geosr::cli::vrt_command},
    {"batch", "super-resolve many scenes: local workers or a Slurm job array, finished ones skipped (docs/batch.md)", geosr::cli::batch_command},
    {"seg", "segmentation: 'seg train', 'seg predict' and 'seg eval' against labels, on LR, HR or SR rasters (docs/segmentation.md)", geosr::cli::seg_command},
};

void usage(std::ostream& out) {
  out << "Usage: geosr COMMAND [options] SRC [DST]\n\nCommands:\n";
  for (const auto& command : kCommands) out << "  " << command.name << std::string(10 - std::strlen(command.name), ' ') << command.summary << "\n";
  out << "\nGDAL-style options: -b BAND, -co NAME=VALUE, --config KEY VALUE, -q, --overwrite.\n"
         "Run 'geosr COMMAND --help' for the options of a command.\n";
}

// The command `name` names, or nullptr.
const Command* find_command(const char* name) {
  for (const auto& command : kCommands)
    if (std::strcmp(name, command.name) == 0) return &command;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  const Command* chosen = argc > 1 ? find_command(argv[1]) : nullptr;
  // GDAL's own messages are folded into geosr's one-line errors instead of printed as they come.
  CPLSetErrorHandler(CPLQuietErrorHandler);
  geosr::fail_writes_past_file_size_limit();
  const int code = geosr::cli::guarded("", [&] {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
      usage(std::cerr);
      return 2;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      usage(std::cout);
      return 0;
    }
    if (args[0] == "--version") {
      std::cout << "geosr " << geosr::kVersion << "\n";
      return 0;
    }
    if (chosen) {
      geosr::cli::stop_with_batch_parent();
      geosr::configure_threads();
      geosr::keep_freed_memory();
      return chosen->run({args.begin() + 1, args.end()});
    }
    std::string names;
    for (const auto& command : kCommands) names += std::string(names.empty() ? "" : ", ") + command.name;
    throw geosr::cli::UsageError("unknown command '" + args[0] + "' (commands: " + names + ")");
  });
  // A report redirected to a full disk must not end as an empty file and exit 0.
  if (!std::cout.flush() && code == 0) {  // a failed command has said why already, in one line
    std::cerr << (chosen ? std::string("geosr ") + chosen->name : std::string("geosr"))
              << ": error: cannot write the standard output\n";
    return 1;
  }
  return code;
}
