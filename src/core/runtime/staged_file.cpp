#include "geosr/core/staged_file.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace geosr {
namespace {

namespace fs = std::filesystem;

// Two threads of one process (two GDAL datasets filling one block cache) never share a staging file.
std::string staging_name(const std::string& destination) {
  static std::atomic<unsigned long> next{0};
  return destination + ".geosr-" + std::to_string(::getpid()) + "-" + std::to_string(next++);
}

}  // namespace

StagedFile::StagedFile(std::string destination)
    : destination_(std::move(destination)), staging_(staging_name(destination_)) {
  // The rename would replace a device, a pipe or a link instead of writing through it.
  std::error_code ec;
  const auto status = fs::symlink_status(destination_, ec);
  if (fs::exists(status) && !fs::is_regular_file(status))
    throw std::runtime_error("cannot write " + destination_ + ": it is not a regular file");
}

StagedFile::~StagedFile() {
  if (committed_) return;
  out_.close();
  std::error_code ec;
  fs::remove(staging_, ec);
}

std::ostream& StagedFile::stream() {
  if (!out_.is_open()) {
    out_.open(staging_, std::ios::binary | std::ios::trunc);
    if (!out_) throw std::runtime_error("cannot write " + destination_);
  }
  return out_;
}

void StagedFile::commit() {
  if (out_.is_open()) {
    out_.close();  // on NFS or Lustre a full quota may first show when the file is closed
    if (!out_) throw std::runtime_error("cannot write " + destination_);
  }
  std::error_code ec;
  fs::rename(staging_, destination_, ec);
  if (ec) throw std::runtime_error("cannot write " + destination_ + ": " + ec.message());
  committed_ = true;
}

}  // namespace geosr
