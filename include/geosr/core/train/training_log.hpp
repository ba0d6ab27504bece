#pragma once
// A training run's curve, train_log.csv: a header, then one row per logged step (or epoch), the
// first column counting them, the second the run's seconds. A resumed run continues it from its
// checkpoint: rows a killed run logged after the checkpoint are dropped, since those steps run again.

#include <cstdint>
#include <fstream>
#include <string>

namespace geosr {

class TrainingLog {
 public:
  // A new log holding the header, or with `resumed_at` >= 0 the existing one cut after that step.
  // Throws "cannot write PATH" now, before the run, when the log cannot be written.
  TrainingLog(std::string path, const std::string& header, int64_t resumed_at = -1);

  void write(const std::string& row);  // flushed; throws "cannot write PATH"
  double seconds_logged() const { return seconds_logged_; }  // in the last row kept on resume, else 0

 private:
  std::string path_;
  std::ofstream out_;
  double seconds_logged_ = 0.0;
};

}  // namespace geosr
