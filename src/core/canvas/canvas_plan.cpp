#include "geosr/core/canvas/canvas_plan.hpp"

#include <cmath>
#include <stdexcept>

#include "geosr/core/canvas/band_canvas.hpp"

namespace geosr {

namespace {

std::string mebibytes(double bytes) { return std::to_string(static_cast<int64_t>(std::ceil(bytes / (1 << 20)))) + " MiB"; }

}  // namespace

CanvasNeeds canvas_needs(int64_t channels, const WindowGrid& grid, int planes) {
  const auto width = static_cast<double>(grid.extent_width());
  const double band_pixels = static_cast<double>(grid.window_size()) * width;
  return {SceneArray::bytes_per_pixel(channels) * static_cast<double>(grid.extent_height()) * width,
          BandCanvas::accumulator_bytes(planes, channels, grid.window_size(), grid.extent_width()) +
              3.0 * SceneArray::bytes_per_pixel(channels) * band_pixels};
}

double CanvasPlan::device_bytes() const {
  // Two state arrays and the condition; the accumulator band is the network device's in any case.
  return store == CanvasStore::Device ? 3.0 * needs.array : 0.0;
}

double CanvasPlan::ram_bytes() const {
  switch (store) {
    case CanvasStore::Device: return 0.0;
    case CanvasStore::Ram: return 2.0 * needs.array + needs.band;
    case CanvasStore::Mapped: return needs.band;
  }
  return 0.0;
}

std::string CanvasPlan::where() const {
  switch (store) {
    case CanvasStore::Device: return "in accelerator memory (" + device.str() + ")";
    case CanvasStore::Ram: return "in host RAM";
    case CanvasStore::Mapped: return "memory-mapped under " + tmpdir;
  }
  return "?";
}

std::unique_ptr<SceneArray> CanvasPlan::new_array(int64_t channels, int64_t rows, int64_t width) const {
  switch (store) {
    case CanvasStore::Device: return SceneArray::on_device(device, channels, rows, width);
    case CanvasStore::Ram: return SceneArray::in_memory(channels, rows, width);
    case CanvasStore::Mapped: return SceneArray::mapped(tmpdir, channels, rows, width);
  }
  throw std::logic_error("canvas plan: unknown store");
}

CanvasPlan plan_canvas(const CanvasNeeds& needs, double max_ram, double max_device, torch::Device device,
                       std::string tmpdir) {
  CanvasPlan plan;
  plan.needs = needs;
  plan.max_ram = max_ram;
  plan.max_device = device.is_cpu() ? 0.0 : max_device;
  plan.device = device;
  plan.tmpdir = std::move(tmpdir);
  plan.store = CanvasStore::Device;
  if (plan.device_bytes() > plan.max_device) plan.store = CanvasStore::Ram;
  if (plan.ram_bytes() > max_ram) plan.store = CanvasStore::Mapped;
  if (plan.ram_bytes() > max_ram)
    throw std::runtime_error("--max-ram " + mebibytes(max_ram) + " is below the " + mebibytes(needs.band) +
                             " one row of windows needs at this width");
  return plan;
}

}  // namespace geosr
