#pragma once
// The settings that shape a training run's optimisation (learning rate, batch, patch, seed, ...)
// are recorded in every checkpoint, and a resumed run must give them back unchanged: the restored
// optimizer would otherwise keep the old values silently, or the run would become two runs mixed.
// Changing them is a new run started from the weights (--init).

#include <string>
#include <vector>

#include "geosr/core/network/model_file.hpp"

namespace geosr {

struct RunSetting {
  std::string key;     // metadata key, e.g. "geosr.train.lr"
  std::string option;  // how the user sets it, e.g. "--lr"
  std::string value;   // this invocation's value, formatted as it is recorded
};

// A number as it is recorded: the shortest text that reads back to exactly `value`.
std::string setting_value(double value);

void record_settings(Metadata& metadata, const std::vector<RunSetting>& settings);

// Throws std::runtime_error naming the first setting whose recorded value differs from the given
// one. Settings a checkpoint did not record (runs from before they were recorded) pass.
void check_resumed_settings(const Metadata& recorded, const std::vector<RunSetting>& settings);

}  // namespace geosr
