#include "geosr/core/canvas/canvas_plan.hpp"

#include <cmath>
#include <stdexcept>

#include "geosr/core/canvas/band_canvas.hpp"
#include "geosr/core/runtime.hpp"

namespace geosr {

namespace {


std::unique_ptr<SceneArray> array_in(const CanvasPlan& plan, CanvasStore store, int64_t channels, int64_t rows,
                                     int64_t width) {
  switch (store) {
    case CanvasStore::Device: return SceneArray::on_device(plan.device, channels, rows, width);
    case CanvasStore::Ram: return SceneArray::in_memory(channels, rows, width);
    case CanvasStore::Mapped: return SceneArray::mapped(plan.tmpdir, channels, rows, width);
  }
  throw std::logic_error("canvas plan: unknown store");
}

// Bytes of the arrays (2 state arrays, 1 condition) that the plan puts in `store`.
double bytes_in(const CanvasPlan& plan, CanvasStore store) {
  return ((plan.store == store ? 2.0 : 0.0) + (plan.condition_store == store ? 1.0 : 0.0)) * plan.needs.array;
}

}  // namespace

CanvasNeeds canvas_needs(int64_t channels, const WindowGrid& grid, int planes) {
  const auto width = static_cast<double>(grid.extent_width());
  const double band_pixels = static_cast<double>(grid.window_size()) * width;
  return {SceneArray::bytes_per_pixel(channels) * static_cast<double>(grid.extent_height()) * width,
          BandCanvas::accumulator_bytes(planes, channels, grid.window_size(), grid.extent_width()) +
              3.0 * SceneArray::bytes_per_pixel(channels) * band_pixels};
}

// The accumulator band is the network device's in any case; the host needs its band of rows unless
// nothing is on the host.
double CanvasPlan::device_bytes() const { return bytes_in(*this, CanvasStore::Device); }

double CanvasPlan::ram_bytes() const {
  if (store == CanvasStore::Device) return 0.0;
  return bytes_in(*this, CanvasStore::Ram) + needs.band;
}

std::string CanvasPlan::where(CanvasStore store) const {
  switch (store) {
    case CanvasStore::Device: return "in accelerator memory (" + device.str() + ")";
    case CanvasStore::Ram: return "in host RAM";
    case CanvasStore::Mapped: return "memory-mapped under " + tmpdir;
  }
  return "?";
}

std::unique_ptr<SceneArray> CanvasPlan::new_array(int64_t channels, int64_t rows, int64_t width) const {
  return array_in(*this, store, channels, rows, width);
}

std::unique_ptr<SceneArray> CanvasPlan::new_condition_array(int64_t channels, int64_t rows, int64_t width) const {
  return array_in(*this, condition_store, channels, rows, width);
}

CanvasPlan plan_canvas(const CanvasNeeds& needs, double max_ram, double max_device, torch::Device device,
                       std::string tmpdir) {
  CanvasPlan plan;
  plan.needs = needs;
  plan.max_ram = max_ram;
  plan.max_device = device.is_cpu() ? 0.0 : max_device;
  plan.device = device;
  plan.tmpdir = std::move(tmpdir);
  plan.store = plan.condition_store = CanvasStore::Device;
  if (plan.device_bytes() > plan.max_device) {
    plan.store = CanvasStore::Ram;
    if (plan.device_bytes() > plan.max_device) plan.condition_store = CanvasStore::Ram;
    // RAM goes to the arrays first (read and written every step), then to the condition (only read).
    const auto mapped_if_over = [&](CanvasStore& store) {
      if (plan.ram_bytes() > max_ram && store == CanvasStore::Ram) store = CanvasStore::Mapped;
    };
    mapped_if_over(plan.condition_store);
    if (plan.ram_bytes() > max_ram) {
      plan.store = CanvasStore::Mapped;
      // Mapped arrays leave RAM to the condition if it fits beside the band.
      if (plan.condition_store == CanvasStore::Mapped) plan.condition_store = CanvasStore::Ram;
      mapped_if_over(plan.condition_store);
    }
  }
  if (plan.ram_bytes() > max_ram)
    throw std::runtime_error("the canvas's " + bytes_text(max_ram) + " of RAM is below the " + bytes_text(needs.band) +
                             " one row of windows needs at this width");
  return plan;
}

}  // namespace geosr
