#pragma once
// Writes a Cloud-Optimized GeoTIFF block by block without ever leaving a partial file under the
// output name: blocks go to a hidden tiled GTiff next to the output, commit() turns it into a
// COG (another hidden file) and renames that into place. Anything left over is removed when the
// writer is destroyed, whether commit() ran, failed, or an exception unwound past it.

#include <filesystem>
#include <memory>

#include <gdal.h>
#include <torch/torch.h>

#include "geosr/core/resample/resample.hpp"
#include "geosr/io/output_spec.hpp"

class GDALDataset;

namespace geosr {

class CogWriter {
 public:
  // Checks the output path (directory exists, output absent unless spec.overwrite) and creates the
  // temporary file; throws std::runtime_error with a one-line reason.
  CogWriter(std::filesystem::path output, OutputSpec spec);
  ~CogWriter();
  CogWriter(const CogWriter&) = delete;
  CogWriter& operator=(const CogWriter&) = delete;

  const OutputSpec& spec() const { return spec_; }

  // Writes model-range `data` (bands, h, w) and `valid` (h, w) bool at rows x cols.
  void write(Span rows, Span cols, const torch::Tensor& data, const torch::Tensor& valid);

  // Converts to COG (with overviews) and renames it to the output path.
  void commit(GDALProgressFunc progress = nullptr, void* progress_data = nullptr);

 private:
  void remove_temporaries() noexcept;

  std::filesystem::path output_;
  std::filesystem::path staging_;  // tiled GTiff written block by block
  std::filesystem::path cog_;      // the finished COG before its rename
  OutputSpec spec_;
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> dataset_;
};

// What CogWriter's constructor checks first: the directory exists and is writable, and the output
// is absent unless `overwrite`. Lets a long job fail before its work rather than after it.
void check_output_path(const std::filesystem::path& output, bool overwrite);

// Throws for a creation option the COG driver does not know or a value it does not take, as
// gdal_translate would warn (here before the computation, not after it).
void check_creation_options(const std::vector<std::string>& options);

// Throws when the output cannot be written as `spec` says with its creation options: a lossy
// compression (JPEG, WEBP) with a NoData value, which would move pixels to and from it, or options
// the COG driver refuses for this data type and band count (PREDICTOR=3 on integers, JPEG on
// Float32, ...), found by writing a small copy in memory. Before the computation, not after it.
void check_output_spec(const OutputSpec& spec);

// Removes the temporaries of earlier writers of `output` whose process is gone (killed with
// SIGKILL, or by the machine going down): nobody else would. Every writer does it first.
void remove_stale_temporaries(const std::filesystem::path& output);

// The COG creation options geosr uses unless the user overrides them with -co.
std::vector<std::string> default_cog_options();

}  // namespace geosr
