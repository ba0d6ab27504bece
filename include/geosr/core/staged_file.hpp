#pragma once
// A file written under a staging name beside its destination and renamed into place only when it
// is complete: a failure, an exception or a signal never leaves a partial file under the output
// name, and an existing file is replaced only by a complete one.

#include <string>

namespace geosr {

class StagedFile {
 public:
  explicit StagedFile(std::string destination);
  ~StagedFile();  // removes the staging file unless committed
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  const std::string& path() const { return staging_; }  // where to write
  const std::string& destination() const { return destination_; }
  void commit();  // renames the staging file to the destination

 private:
  std::string destination_;
  std::string staging_;
  bool committed_ = false;
};

}  // namespace geosr
