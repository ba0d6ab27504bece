#pragma once
// A file written under a staging name beside its destination and renamed into place only when it
// is complete: a failure, an exception or a signal never leaves a partial file under the output
// name, and an existing file is replaced only by a complete one.

#include <fstream>
#include <string>

namespace geosr {

class StagedFile {
 public:
  explicit StagedFile(std::string destination);
  ~StagedFile();  // removes the staging file unless committed
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  // Where to write, for writers that open the file themselves (GDAL, chip shards).
  const std::string& path() const { return staging_; }
  const std::string& destination() const { return destination_; }
  // The staging file opened for binary writing on first use; its errors are reported by commit().
  std::ostream& stream();
  // Closes and checks the stream, if one was opened, then renames the staging file to the destination.
  void commit();

 private:
  std::string destination_;
  std::string staging_;
  std::ofstream out_;
  bool committed_ = false;
};

}  // namespace geosr
