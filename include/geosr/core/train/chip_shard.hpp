#pragma once
// Chip shards: HR training patches in a GDAL-free binary file (format in docs/chips.md), so that
// training runs wherever LibTorch does. `geosr chips` writes them from GeoTIFFs; tests write them directly.

#include <cstdint>
#include <fstream>
#include <string>

#include <torch/torch.h>

namespace geosr {

enum class ChipDType : uint32_t { UInt8 = 1, UInt16 = 2, Float32 = 3 };

ChipDType parse_chip_dtype(const std::string& name);  // "uint8" | "uint16" | "float32"
std::string to_string(ChipDType dtype);

struct ChipShardInfo {
  ChipDType dtype = ChipDType::UInt8;
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t count = 0;
  // Stored values v map to the network's range as v * value_scale + value_offset (then clamped to
  // [-1, 1]): the same linear rule inference applies to the input raster.
  double value_scale = 2.0 / 255.0;
  double value_offset = -1.0;
};

// Streams chips to a shard; the chip count in the header is patched on close().
class ChipShardWriter {
 public:
  ChipShardWriter(const std::string& path, ChipShardInfo info);  // info.count is ignored
  ~ChipShardWriter();
  ChipShardWriter(const ChipShardWriter&) = delete;
  ChipShardWriter& operator=(const ChipShardWriter&) = delete;

  // chip: (channels, height, width), any numeric dtype; values are cast to the shard's dtype.
  void append(const torch::Tensor& chip);
  int64_t count() const { return info_.count; }
  const ChipShardInfo& info() const { return info_; }
  void close();

 private:
  std::string path_;
  ChipShardInfo info_;
  std::ofstream out_;
};

ChipShardInfo read_chip_shard_info(const std::string& path);

// All chips of a shard as (count, channels, height, width) in their stored values: uint8 shards as
// kByte, uint16 shards as kInt32 (LibTorch 1.13 has no unsigned 16-bit type), float32 as kFloat.
torch::Tensor read_chip_shard(const std::string& path, ChipShardInfo* info = nullptr);

}  // namespace geosr
