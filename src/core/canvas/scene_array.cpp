#include "geosr/core/canvas/scene_array.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <stdexcept>

#include "errno_message.hpp"
#include "geosr/core/canvas/region_indices.hpp"
#include "geosr/core/runtime.hpp"

namespace geosr {

using torch::indexing::Slice;

namespace {

void check_shape(int64_t channels, int64_t height, int64_t width) {
  if (channels < 1 || height < 1 || width < 1) throw std::runtime_error("scene array: empty shape");
}

void check_inside(const torch::Tensor& data, const Region& r) {
  if (r.y0 < 0 || r.x0 < 0 || r.y1 > data.size(1) || r.x1 > data.size(2) || r.empty())
    throw std::runtime_error("scene array: region outside the array");
}

// The (C, h, w) view of `r`, which must be a non-empty region inside the array.
torch::Tensor region_view(const torch::Tensor& data, const Region& r) {
  check_inside(data, r);
  return data.index({Slice(), Slice(r.y0, r.y1), Slice(r.x0, r.x1)});
}

}  // namespace

std::unique_ptr<SceneArray> SceneArray::in_memory(int64_t channels, int64_t height, int64_t width) {
  check_shape(channels, height, width);
  std::unique_ptr<SceneArray> array(new SceneArray);
  array->data_ = torch::zeros({channels, height, width}, torch::kFloat32);
  return array;
}

std::unique_ptr<SceneArray> SceneArray::on_device(torch::Device device, int64_t channels, int64_t height,
                                                  int64_t width) {
  check_shape(channels, height, width);
  std::unique_ptr<SceneArray> array(new SceneArray);
  array->data_ = torch::zeros({channels, height, width}, torch::TensorOptions().dtype(torch::kFloat32).device(device));
  return array;
}

std::unique_ptr<SceneArray> SceneArray::mapped(const std::string& directory, int64_t channels, int64_t height,
                                               int64_t width) {
  check_shape(channels, height, width);
  std::string name = (std::filesystem::path(directory) / "geosr-canvas-XXXXXX").string();
  const int fd = mkstemp(name.data());
  if (fd < 0) throw std::runtime_error(errno_message("cannot create a canvas file in " + directory));
  unlink(name.c_str());
  const size_t bytes = static_cast<size_t>(channels * height * width) * sizeof(float);
  // Reserved up front (reading as zeros): a sparse file that met a full disk mid-run would end the
  // process with SIGBUS at a write into the mapping, without a word.
  if (const int error = posix_fallocate(fd, 0, static_cast<off_t>(bytes)); error != 0) {
    errno = error;
    const std::string message = errno_message("cannot reserve " + bytes_text(static_cast<double>(bytes)) +
                                              " for the canvas file in " + directory);
    close(fd);
    throw std::runtime_error(message);
  }
  void* mapping = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);  // the mapping keeps the file alive
  if (mapping == MAP_FAILED) throw std::runtime_error(errno_message("cannot map the canvas file in " + directory));
  std::unique_ptr<SceneArray> array(new SceneArray);
  array->mapping_ = mapping;
  array->mapping_bytes_ = bytes;
  array->data_ = torch::from_blob(mapping, {channels, height, width}, torch::kFloat32);
  return array;
}

SceneArray::~SceneArray() {
  if (mapping_) munmap(mapping_, mapping_bytes_);
}

torch::Tensor SceneArray::read(const Region& r) const { return region_view(data_, r).clone(); }

torch::Tensor SceneArray::read_regions(const std::vector<Region>& regions) const {
  for (const Region& r : regions) check_inside(data_, r);
  return gather_regions(data_, regions, 0);
}

void SceneArray::write(const Region& r, const torch::Tensor& values) { region_view(data_, r).copy_(values); }

void SceneArray::release_rows(int64_t y0, int64_t y1) {
  if (!mapping_ || y1 <= y0) return;
  const auto page = static_cast<int64_t>(sysconf(_SC_PAGESIZE));
  const int64_t row_bytes = width() * static_cast<int64_t>(sizeof(float));
  const int64_t plane_bytes = height() * row_bytes;
  for (int64_t c = 0; c < channels(); ++c) {
    // Only whole pages inside the rows: a page shared with a neighbouring row stays resident.
    const int64_t begin = (c * plane_bytes + y0 * row_bytes + page - 1) / page * page;
    const int64_t end = (c * plane_bytes + y1 * row_bytes) / page * page;
    if (end > begin) madvise(static_cast<char*>(mapping_) + begin, static_cast<size_t>(end - begin), MADV_DONTNEED);
  }
}

}  // namespace geosr
