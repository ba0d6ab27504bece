#include "super_resolved_raster.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include <cpl_error.h>

#include "geosr/core/canvas/condition_source.hpp"
#include "geosr/core/runtime.hpp"
#include "geosr/core/staged_file.hpp"
#include "geosr/io/output_spec.hpp"
#include "geosr/io/pipeline.hpp"
#include "geosr/io/value_survey.hpp"
#include "geosr/version.hpp"

namespace geosr::gdal {
namespace {

namespace fs = std::filesystem;

// GDAL sizes rasters with int.
int64_t hr_side(int64_t lr, int64_t scale) {
  if (lr > std::numeric_limits<int>::max() / scale) {
    throw std::invalid_argument("the output would be " + std::to_string(lr) + " x " + std::to_string(scale) +
                                " pixels on a side, beyond GDAL's limit of 2^31-1");
  }
  return lr * scale;
}

// A cached block starts with the digest of the LR context it was computed from (block_context),
// so a source whose pixels changed under the same name (a VRT's rasters, a rebuilt zip, a file
// rewritten within its clock tick) is computed again. The rest is only taken when it is what the
// sampler writes: finite values in the model's [-1, 1].
std::optional<torch::Tensor> read_cached_block(const std::string& path, uint64_t context, std::vector<int64_t> shape) {
  torch::Tensor y = torch::empty(shape);
  const auto bytes = static_cast<uintmax_t>(y.numel()) * 4;
  std::error_code error;
  if (!fs::is_regular_file(path, error) || fs::file_size(path, error) != sizeof context + bytes) return {};
  std::ifstream file(path, std::ios::binary);
  uint64_t stored = 0;
  if (!file.read(reinterpret_cast<char*>(&stored), sizeof stored) || stored != context) return {};
  if (!file.read(reinterpret_cast<char*>(y.data_ptr<float>()), static_cast<std::streamsize>(bytes))) return {};
  if (!y.abs().le(1.0).all().item<bool>()) return {};
  return y;
}

// Written aside and renamed, so a reader never sees half a block; false when it could not be
// stored (a full disk, a failed rename), and then nothing is left.
bool store_cached_block(const std::string& path, uint64_t context, const torch::Tensor& y) {
  std::error_code error;
  fs::create_directories(fs::path(path).parent_path(), error);
  if (error) return false;
  try {
    StagedFile staged(path);
    staged.stream().write(reinterpret_cast<const char*>(&context), sizeof context);
    staged.stream().write(static_cast<const char*>(y.data_ptr()), static_cast<std::streamsize>(y.numel() * y.element_size()));
    staged.commit();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

SuperResolvedRaster::SuperResolvedRaster(const Connection& connection)
    : connection_(connection),
      setup_(prepare_for_gdal(connection.settings)),
      source_(open_model_input(connection.source, connection.bands, connection.in_ranges, setup_.channels, "bands=",
                                      "in_range")),
      width_(hr_side(source_.width(), setup_.scale)),
      height_(hr_side(source_.height(), setup_.scale)),
      block_(connection.block_size),
      halo_(connection.halo >= 0 ? connection.halo : 2 * setup_.window),
      fuser_(setup_.fuser(height_, width_)) {
  if (!source_.any_valid()) throw no_valid_pixels(connection.source);
  // GDAL programs show no `geosr sr` messages: the value rule's warning comes as a GDAL warning.
  if (const auto warning = value_rule_warning(source_, survey_values(source_), "give in_range=LO,HI"))
    CPLError(CE_Warning, CPLE_AppDefined, "GEOSR: %s", warning->c_str());
  metadata_ = diffusion_metadata(connection.settings, setup_);
  metadata_.merge(output_spec_for(source_, width_, height_).metadata);  // GEOSR_BANDS, GEOSR_IN_RANGE
  metadata_["GEOSR_HALO"] = std::to_string(halo_);
  // The source's pixels are not in the key: each cached block records the LR it was computed from.
  std::string key = fs::weakly_canonical(connection.source).string() + "|" + std::to_string(width_) + "x" +
                    std::to_string(height_) + "|" + settings_key(connection.settings) + "|" + std::to_string(block_);
  for (const auto& [name, value] : metadata_) key += "|" + name + "=" + value;
  key_ = digest_text(digest_bytes(key.data(), key.size()));
  if (!connection.cache_dir.empty()) {  // a directory that cannot be used is reported at open, not at the first block
    std::error_code error;
    fs::create_directories(connection.cache_dir, error);
    if (!fs::is_directory(connection.cache_dir) || ::access(connection.cache_dir.c_str(), W_OK) != 0)
      throw std::invalid_argument("cache_dir " + connection.cache_dir + " is not a writable directory");
  }
}

std::optional<double> SuperResolvedRaster::nodata() const { return source_.bands().front().nodata; }

uint64_t SuperResolvedRaster::block_context(const Region& region) const {
  // Every LR pixel the block's windows read: windows reach up to a window beyond the halo, and
  // the cubic condition a few LR pixels beyond them.
  const int64_t reach = halo_ + setup_.window;
  const Span rows = source_span(ResampleKernel::Cubic, source_.height(), height_,
                                {std::max<int64_t>(0, region.y0 - reach), std::min(height_, region.y1 + reach)});
  const Span cols = source_span(ResampleKernel::Cubic, source_.width(), width_,
                                {std::max<int64_t>(0, region.x0 - reach), std::min(width_, region.x1 + reach)});
  const RasterWindow lr = source_.read(rows, cols);
  return tensor_digest(lr.valid, tensor_digest(lr.data));
}

std::string SuperResolvedRaster::disk_path(int64_t bx, int64_t by) const {
  return (fs::path(connection_.cache_dir) / ("geosr-" + key_) / (std::to_string(by) + "_" + std::to_string(bx) + ".f32"))
      .string();
}

torch::Tensor SuperResolvedRaster::compute(const Region& region) {
  const LrReader reader = [this](Span rows, Span cols) {
    RasterWindow lr = source_.read(rows, cols);
    return LrBlock{std::move(lr.data), std::move(lr.valid)};
  };
  const RegionRun run{setup_.denoiser,
                      *setup_.sampler,
                      fuser_,
                      [&](const Region& r) {
                        return read_condition(reader, source_.height(), source_.width(), fuser_.grid(), r);
                      },
                      connection_.settings.seed,
                      connection_.settings.batch,
                      setup_.device};
  CPLDebug("GEOSR", "denoising block rows %lld..%lld, columns %lld..%lld (halo %lld)",
           static_cast<long long>(region.y0), static_cast<long long>(region.y1), static_cast<long long>(region.x0),
           static_cast<long long>(region.x1), static_cast<long long>(halo_));
  return sample_region(run, region, halo_);
}

torch::Tensor SuperResolvedRaster::block(int64_t bx, int64_t by) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const Key key{by, bx};
  for (auto it = lru_.begin(); it != lru_.end(); ++it) {
    if (it->first == key) {
      lru_.splice(lru_.begin(), lru_, it);
      return it->second;
    }
  }
  const Region region{by * block_, bx * block_, std::min(height_, (by + 1) * block_), std::min(width_, (bx + 1) * block_)};
  if (region.empty()) throw std::runtime_error("block outside the raster");
  const Span rows{region.y0, region.y1}, cols{region.x0, region.x1};
  const Span lr_rows = validity_span(source_.height(), height_, rows), lr_cols = validity_span(source_.width(), width_, cols);
  const RasterWindow lr = source_.read(lr_rows, lr_cols);
  const torch::Tensor valid =
      resample_validity(lr.valid, source_.height(), source_.width(), lr_rows, lr_cols, height_, width_, rows, cols);

  torch::Tensor y;
  const std::string path = connection_.cache_dir.empty() ? std::string() : disk_path(bx, by);
  const int64_t c = setup_.channels, h = region.height(), w = region.width();
  if (!valid.any().item<bool>()) {
    y = torch::zeros({c, h, w});  // nothing valid: no network call, every pixel becomes NoData
  } else if (path.empty()) {
    y = compute(region).contiguous();
  } else if (const uint64_t context = block_context(region); auto cached = read_cached_block(path, context, {c, h, w})) {
    y = *cached;
  } else {
    y = compute(region).contiguous();
    // The disk cache only saves work: a block it cannot keep is still read, with one warning.
    if (!store_cached_block(path, context, y) && !cache_write_failed_) {
      cache_write_failed_ = true;
      CPLError(CE_Warning, CPLE_FileIO, "GEOSR: cannot store computed blocks in cache_dir %s; they are not kept",
               connection_.cache_dir.c_str());
    }
  }
  std::vector<torch::Tensor> bands;
  for (int64_t b = 0; b < c; ++b) {
    const BandInfo& info = source_.bands()[static_cast<size_t>(b)];
    bands.push_back(output_values(y[b], info.range, type(), valid, nodata()));
  }
  torch::Tensor values = torch::stack(bands);
  lru_.emplace_front(key, values);
  cache_bytes_ += static_cast<size_t>(values.numel()) * sizeof(double);
  while (lru_.size() > 1 && static_cast<double>(cache_bytes_) > connection_.cache_mb * 1024.0 * 1024.0) {
    cache_bytes_ -= static_cast<size_t>(lru_.back().second.numel()) * sizeof(double);
    lru_.pop_back();
  }
  return values;
}

}  // namespace geosr::gdal
