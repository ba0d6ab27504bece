#include "geosr/core/train/training_log.hpp"

#include <cstdlib>
#include <stdexcept>

#include "geosr/core/staged_file.hpp"

namespace geosr {

TrainingLog::TrainingLog(std::string path, const std::string& header, int64_t resumed_at) : path_(std::move(path)) {
  if (resumed_at >= 0) {
    std::string text = header + "\n";
    std::ifstream in(path_);
    std::string line;
    std::getline(in, line);  // the header, written anew
    while (std::getline(in, line)) {
      if (line.empty() || std::strtoll(line.c_str(), nullptr, 10) > resumed_at) continue;
      text += line + "\n";
      const auto comma = line.find(',');
      seconds_logged_ = comma == std::string::npos ? 0.0 : std::strtod(line.c_str() + comma + 1, nullptr);
    }
    // Cut aside and renamed: a kill now leaves the log as it was, which the next --resume cuts.
    StagedFile staged(path_);
    staged.stream() << text;
    staged.commit();
  }
  out_.open(path_, resumed_at >= 0 ? std::ios::app : std::ios::trunc);
  if (resumed_at < 0) out_ << header << "\n";
  // Said before the first step, not after hours of them.
  if (!out_.flush()) throw std::runtime_error("cannot write " + path_);
}

void TrainingLog::write(const std::string& row) {
  // A curve that stops on a full disk is an error, not rows silently lost from a long run.
  if (!(out_ << row << "\n").flush()) throw std::runtime_error("cannot write " + path_);
}

}  // namespace geosr
