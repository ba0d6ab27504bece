#pragma once
// The HR raster a connection describes, computed block by block when GDAL reads it. Each block is
// the region sampler's joint denoising of the block plus a halo, on the whole scene's window grid
// with the whole scene's noise, so neighbouring blocks agree and a halo reaching every window gives
// `geosr sr`'s pixels exactly. Computed blocks (all bands at once: reading R, G and B of a region
// runs the network once) stay in a memory cache and, with a cache directory, on disk.

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <torch/torch.h>

#include "connection.hpp"
#include "geosr/core/canvas/region_sampler.hpp"
#include "geosr/io/raster_source.hpp"

namespace geosr::gdal {

class SuperResolvedRaster {
 public:
  // Opens the source and the model and checks every setting (throws with a one-line reason).
  explicit SuperResolvedRaster(const Connection& connection);

  const RasterSource& source() const { return source_; }
  int64_t width() const { return width_; }
  int64_t height() const { return height_; }
  int64_t scale() const { return setup_.scale; }
  int64_t block_size() const { return block_; }
  int bands() const { return static_cast<int>(setup_.channels); }
  GDALDataType type() const { return source_.data_type(); }
  std::optional<double> nodata() const;
  // GEOSR_* metadata, as `geosr sr` writes it.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Output values of block (bx, by): (bands, h, w) float64, h and w clipped at the raster's edge.
  // Thread-safe.
  torch::Tensor block(int64_t bx, int64_t by);

 private:
  torch::Tensor compute(const Region& region);  // model range, (bands, h, w)
  std::string disk_path(int64_t bx, int64_t by) const;
  uint64_t block_context(const Region& region) const;  // digest of the LR pixels the block depends on

  Connection connection_;
  DiffusionSetup setup_;
  RasterSource source_;
  int64_t width_ = 0, height_ = 0, block_ = 0, halo_ = 0;
  Fuser fuser_;
  std::map<std::string, std::string> metadata_;
  std::string key_;  // everything the pixels depend on, hashed: names the disk cache

  std::mutex mutex_;
  using Key = std::pair<int64_t, int64_t>;
  std::list<std::pair<Key, torch::Tensor>> lru_;  // most recent first
  size_t cache_bytes_ = 0;
  bool cache_write_failed_ = false;  // warned once, not for every block
};

}  // namespace geosr::gdal
