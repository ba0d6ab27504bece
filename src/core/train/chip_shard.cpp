#include "geosr/core/train/chip_shard.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace geosr {
namespace {

constexpr char kMagic[8] = {'G', 'E', 'O', 'S', 'R', 'C', 'H', 'P'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 64;

// The format is little-endian; the fields are copied as they lie in memory.
void require_little_endian() {
  const uint16_t one = 1;
  unsigned char first = 0;
  std::memcpy(&first, &one, 1);
  if (first != 1) throw std::runtime_error("chip shards are little-endian; this host is not");
}

size_t bytes_per_value(ChipDType dtype) {
  switch (dtype) {
    case ChipDType::UInt8: return 1;
    case ChipDType::UInt16: return 2;
    case ChipDType::Float32: return 4;
  }
  throw std::runtime_error("unknown chip dtype");
}

template <typename T>
void put(std::vector<char>& buffer, size_t offset, T value) {
  std::memcpy(buffer.data() + offset, &value, sizeof(T));
}

template <typename T>
T get(const std::vector<char>& buffer, size_t offset) {
  T value;
  std::memcpy(&value, buffer.data() + offset, sizeof(T));
  return value;
}

std::vector<char> encode_header(const ChipShardInfo& info) {
  std::vector<char> header(kHeaderSize, 0);
  std::memcpy(header.data(), kMagic, sizeof kMagic);
  put<uint32_t>(header, 8, kVersion);
  put<uint32_t>(header, 12, static_cast<uint32_t>(info.dtype));
  put<uint32_t>(header, 16, static_cast<uint32_t>(info.channels));
  put<uint32_t>(header, 20, static_cast<uint32_t>(info.height));
  put<uint32_t>(header, 24, static_cast<uint32_t>(info.width));
  put<uint64_t>(header, 32, static_cast<uint64_t>(info.count));
  put<double>(header, 40, info.value_scale);
  put<double>(header, 48, info.value_offset);
  return header;
}

ChipShardInfo decode_header(const std::vector<char>& header, const std::string& path) {
  if (std::memcmp(header.data(), kMagic, sizeof kMagic) != 0)
    throw std::runtime_error("not a geosr chip shard: " + path);
  if (get<uint32_t>(header, 8) != kVersion)
    throw std::runtime_error("unsupported chip shard version " + std::to_string(get<uint32_t>(header, 8)) +
                             ": " + path);
  ChipShardInfo info;
  const uint32_t dtype = get<uint32_t>(header, 12);
  if (dtype < 1 || dtype > 3) throw std::runtime_error("bad dtype code in chip shard: " + path);
  info.dtype = static_cast<ChipDType>(dtype);
  info.channels = get<uint32_t>(header, 16);
  info.height = get<uint32_t>(header, 20);
  info.width = get<uint32_t>(header, 24);
  info.count = static_cast<int64_t>(get<uint64_t>(header, 32));
  info.value_scale = get<double>(header, 40);
  info.value_offset = get<double>(header, 48);
  // Bounds no shard geosr writes comes near, which keep a damaged header's sizes from overflowing.
  if (info.channels <= 0 || info.height <= 0 || info.width <= 0 || info.channels > 4096 || info.height > 65536 ||
      info.width > 65536)
    throw std::runtime_error("bad chip shape in chip shard: " + path);
  if (!std::isfinite(info.value_scale) || info.value_scale == 0.0 || !std::isfinite(info.value_offset))
    throw std::runtime_error("bad value scaling in chip shard: " + path);
  return info;
}

torch::ScalarType stored_type(ChipDType dtype) {
  switch (dtype) {
    case ChipDType::UInt8: return torch::kByte;
    case ChipDType::UInt16: return torch::kInt16;  // same bits; reinterpreted as unsigned on read
    case ChipDType::Float32: return torch::kFloat;
  }
  throw std::runtime_error("unknown chip dtype");
}

}  // namespace

ChipDType parse_chip_dtype(const std::string& name) {
  if (name == "uint8") return ChipDType::UInt8;
  if (name == "uint16") return ChipDType::UInt16;
  if (name == "float32") return ChipDType::Float32;
  throw std::runtime_error("unknown chip dtype '" + name + "' (expected uint8, uint16 or float32)");
}

std::string to_string(ChipDType dtype) {
  switch (dtype) {
    case ChipDType::UInt8: return "uint8";
    case ChipDType::UInt16: return "uint16";
    case ChipDType::Float32: return "float32";
  }
  throw std::runtime_error("unknown chip dtype");
}

ChipShardWriter::ChipShardWriter(const std::string& path, ChipShardInfo info)
    : path_(path), info_(info), out_(path, std::ios::binary | std::ios::trunc) {
  require_little_endian();
  if (!out_) throw std::runtime_error("cannot create chip shard: " + path);
  if (info_.channels <= 0 || info_.height <= 0 || info_.width <= 0)
    throw std::runtime_error("chip shard needs a positive chip shape: " + path);
  info_.count = 0;
  const auto header = encode_header(info_);
  out_.write(header.data(), static_cast<std::streamsize>(header.size()));
}

ChipShardWriter::~ChipShardWriter() {
  try {
    close();
  } catch (...) {
    // Destructors must not throw; an explicit close() reports the error.
  }
}

void ChipShardWriter::append(const torch::Tensor& chip) {
  if (!out_.is_open()) throw std::runtime_error("chip shard already closed: " + path_);
  if (chip.dim() != 3 || chip.size(0) != info_.channels || chip.size(1) != info_.height ||
      chip.size(2) != info_.width)
    throw std::runtime_error("chip shape does not match the shard's (" + std::to_string(info_.channels) + ", " +
                             std::to_string(info_.height) + ", " + std::to_string(info_.width) + ")");
  torch::Tensor values = chip.to(torch::kCPU);
  if (info_.dtype == ChipDType::UInt16) values = values.to(torch::kInt32).to(torch::kInt16);
  else values = values.to(stored_type(info_.dtype));
  values = values.contiguous();
  out_.write(static_cast<const char*>(values.data_ptr()),
             static_cast<std::streamsize>(values.numel() * bytes_per_value(info_.dtype)));
  if (!out_) throw std::runtime_error("cannot write chip shard: " + path_);
  ++info_.count;
}

void ChipShardWriter::close() {
  if (!out_.is_open()) return;
  const auto header = encode_header(info_);
  out_.seekp(0);
  out_.write(header.data(), static_cast<std::streamsize>(header.size()));
  out_.close();
  if (out_.fail()) throw std::runtime_error("cannot finish chip shard: " + path_);
}

ChipShardInfo read_chip_shard_info(const std::string& path) {
  require_little_endian();
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw std::runtime_error("not a chip shard but a directory: " + path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open chip shard: " + path);
  std::vector<char> header(kHeaderSize);
  if (!in.read(header.data(), kHeaderSize)) throw std::runtime_error("truncated chip shard header: " + path);
  const ChipShardInfo info = decode_header(header, path);
  // By division, so that a count of 2^62 in a damaged header is this error, not an overflow.
  const auto body = static_cast<uint64_t>(std::filesystem::file_size(path, error) - kHeaderSize);
  const auto chip = static_cast<uint64_t>(info.channels * info.height * info.width * bytes_per_value(info.dtype));
  if (error || info.count < 0 || static_cast<uint64_t>(info.count) > body / chip)
    throw std::runtime_error("chip shard is shorter than its header says: " + path);
  return info;
}

torch::Tensor read_chip_shard(const std::string& path, ChipShardInfo* info_out) {
  const ChipShardInfo info = read_chip_shard_info(path);
  std::ifstream in(path, std::ios::binary);
  in.seekg(kHeaderSize);
  torch::Tensor raw = torch::empty({info.count, info.channels, info.height, info.width}, stored_type(info.dtype));
  const auto bytes = static_cast<std::streamsize>(raw.numel() * bytes_per_value(info.dtype));
  if (!in.read(static_cast<char*>(raw.data_ptr()), bytes))
    throw std::runtime_error("chip shard is shorter than its header says: " + path);
  if (info.dtype == ChipDType::UInt16) raw = raw.to(torch::kInt32).bitwise_and(0xFFFF);
  if (info_out) *info_out = info;
  return raw;
}

}  // namespace geosr
