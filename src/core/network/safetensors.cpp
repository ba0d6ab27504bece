#include "geosr/core/network/safetensors.hpp"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "geosr/core/staged_file.hpp"
#include "json.hpp"

namespace geosr {
namespace {

static_assert(sizeof(double) == 8, "safetensors F64 needs 8-byte doubles");

// The format is little-endian; so is every machine geosr targets (x86-64, aarch64).
bool host_is_little_endian() {
  const uint16_t probe = 1;
  uint8_t first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

struct DtypeName {
  const char* name;
  torch::ScalarType type;
};
constexpr DtypeName kDtypes[] = {
    {"F64", torch::kFloat64}, {"F32", torch::kFloat32}, {"F16", torch::kFloat16},
    {"BF16", torch::kBFloat16}, {"I64", torch::kInt64}, {"I32", torch::kInt32},
    {"I16", torch::kInt16}, {"I8", torch::kInt8}, {"U8", torch::kUInt8}, {"BOOL", torch::kBool},
};

torch::ScalarType dtype_from_name(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return d.type;
  throw std::runtime_error("unsupported dtype " + name);
}

const char* dtype_name(torch::ScalarType type) {
  for (const auto& d : kDtypes)
    if (type == d.type) return d.name;
  throw std::runtime_error(std::string("safetensors cannot store dtype ") + c10::toString(type));
}

// Header sizes beyond this are not model files; refusing them stops a corrupt length from
// triggering a huge allocation.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

}  // namespace

SafetensorsContent read_safetensors(const std::string& path) {
  if (!host_is_little_endian()) throw std::runtime_error("safetensors: big-endian hosts are not supported");
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw std::runtime_error(path + " is a directory, not a model file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open " + path);
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  const auto fail = [&](const std::string& why) -> std::runtime_error {
    return std::runtime_error(path + ": not a valid safetensors file (" + why + ")");
  };
  uint64_t header_size = 0;
  if (file_size < 8 || !in.read(reinterpret_cast<char*>(&header_size), 8)) throw fail("shorter than 8 bytes");
  if (header_size > kMaxHeaderBytes || header_size > file_size - 8) throw fail("header length beyond the file");
  std::string header(header_size, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_size))) throw fail("truncated header");
  const uint64_t data_size = file_size - 8 - header_size;

  json::Value root;
  try {
    root = json::parse(header);
  } catch (const std::exception& e) {
    throw fail(std::string("header: ") + e.what());
  }
  if (root.type != json::Value::Type::Object) throw fail("header is not a JSON object");

  SafetensorsContent content;
  for (const auto& [name, entry] : root.object) {
    try {
      if (name == "__metadata__") {
        for (const auto& [key, value] : entry.object) content.metadata[key] = value.as_string();
        continue;
      }
      const torch::ScalarType type = dtype_from_name(entry.at("dtype").as_string());
      std::vector<int64_t> shape;
      for (const auto& d : entry.at("shape").as_array()) {
        const long long n = d.as_integer();
        if (n < 0) throw std::runtime_error("negative dimension");
        shape.push_back(n);
      }
      const auto& offsets = entry.at("data_offsets").as_array();
      if (offsets.size() != 2) throw std::runtime_error("data_offsets needs two values");
      const long long begin = offsets[0].as_integer(), end = offsets[1].as_integer();
      if (begin < 0 || end < begin || static_cast<uint64_t>(end) > data_size)
        throw std::runtime_error("data beyond the end of the file (truncated?)");
      torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(type));
      if (static_cast<uint64_t>(end - begin) != static_cast<uint64_t>(t.numel() * t.element_size()))
        throw std::runtime_error("byte size does not match shape and dtype");
      in.seekg(static_cast<std::streamoff>(8 + header_size + begin));
      if (!in.read(static_cast<char*>(t.data_ptr()), end - begin)) throw std::runtime_error("read failed");
      content.tensors.emplace(name, std::move(t));
    } catch (const std::exception& e) {
      throw fail("tensor " + name + ": " + e.what());
    }
  }
  return content;
}

void write_safetensors(const std::string& path, const TensorMap& tensors, const StringMap& metadata) {
  if (!host_is_little_endian()) throw std::runtime_error("safetensors: big-endian hosts are not supported");
  std::vector<torch::Tensor> data;
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      header += (first ? "" : ",") + json::quote(key) + ":" + json::quote(value);
      first = false;
    }
    header += "}";
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__") throw std::runtime_error("safetensors: a tensor cannot be named __metadata__");
    torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    const uint64_t bytes = t.numel() * t.element_size();
    std::string shape;
    for (const int64_t d : t.sizes()) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    if (header.size() > 1) header += ",";
    header += json::quote(name) + ":{\"dtype\":\"" + dtype_name(t.scalar_type()) + "\",\"shape\":[" + shape +
              "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
    data.push_back(std::move(t));
  }
  header += "}";
  // Padding the header to 8 bytes keeps every tensor aligned for readers that map the file.
  header.append((8 - header.size() % 8) % 8, ' ');

  // Written aside and renamed: a reader, or a run resumed after a kill, never sees half a file.
  StagedFile staged(path);
  auto& out = staged.stream();
  const uint64_t header_size = header.size();
  out.write(reinterpret_cast<const char*>(&header_size), 8);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const auto& t : data)
    out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
  staged.commit();
}

}  // namespace geosr
