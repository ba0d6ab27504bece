#pragma once
// Writes an output raster block by block without ever leaving a partial file under the output
// name: blocks go to a hidden tiled GTiff next to the output, commit() copies it with the output's
// driver (a COG unless OutputSpec::format says otherwise) to other hidden files and renames them
// into place. Anything left over is removed when the writer is destroyed, whether commit() ran,
// failed, or an exception unwound past it.

#include <filesystem>
#include <memory>

#include <gdal.h>
#include <torch/torch.h>

#include "geosr/core/resample/resample.hpp"
#include "geosr/io/output_spec.hpp"

class GDALDataset;

namespace geosr {

class RasterWriter {
 public:
  // Checks the output path (directory exists, output absent unless spec.overwrite) and creates the
  // temporary file; throws std::runtime_error with a one-line reason.
  RasterWriter(std::filesystem::path output, OutputSpec spec);
  ~RasterWriter();
  RasterWriter(const RasterWriter&) = delete;
  RasterWriter& operator=(const RasterWriter&) = delete;

  const OutputSpec& spec() const { return spec_; }

  // Writes model-range `data` (bands, h, w) and `valid` (h, w) bool at rows x cols.
  void write(Span rows, Span cols, const torch::Tensor& data, const torch::Tensor& valid);

  // Copies the blocks into the output's format (a COG gets its overviews) under the output path.
  void commit(GDALProgressFunc progress = nullptr, void* progress_data = nullptr);

 private:
  void remove_temporaries() noexcept;
  // `file` (a file of the finished dataset or of the one it replaces) beside the output, normalised.
  std::string file_in_place(const std::string& file) const;

  std::filesystem::path output_;
  std::filesystem::path staging_;  // tiled GTiff written block by block
  std::filesystem::path final_;    // the finished output, in a hidden folder, before its rename
  OutputSpec spec_;
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> dataset_;
};

// What RasterWriter's constructor checks first: the directory exists and is writable, and the output
// is absent unless `overwrite`. Lets a long job fail before its work rather than after it.
void check_output_path(const std::filesystem::path& output, bool overwrite);

// Throws when the output cannot be written as `spec` says: a lossy format or compression (JPEG,
// WEBP) with a NoData value, which would move pixels to and from it, a type, band count or option
// the driver refuses (PNG of Float32, PREDICTOR=3 on integers, ...), or a mask the format would
// drop, found by writing a small copy in memory. Before the computation, not after it.
void check_output_spec(const OutputSpec& spec);

// Removes the temporaries of earlier writers of `output` whose process is gone (killed with
// SIGKILL, or by the machine going down): nobody else would. Every writer does it first.
void remove_stale_temporaries(const std::filesystem::path& output);

}  // namespace geosr
