#pragma once
// Where the streaming processor keeps its canvas, decided from the scene's size and the memory the
// user allows. In accelerator memory when the whole state (both arrays and the condition) fits in
// the share given to it: then nothing crosses the bus but the finished output. Else in host RAM,
// the network's batches going to the device and finished rows coming back. Else in memory-mapped
// files, which keep RAM to about one band of rows whatever the scene. The condition, computed once,
// goes to the fastest place left: the accelerator when it alone fits there, RAM when it fits beside
// the arrays (beside the band when they are mapped), else a mapped file. Device memory is thus
// capped by the given share, and is the network's plus one band beyond it: it never grows without
// bound.

#include <cstdint>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "geosr/core/canvas/scene_array.hpp"
#include "geosr/core/grid/window_grid.hpp"

namespace geosr {

enum class CanvasStore { Device, Ram, Mapped };

struct CanvasNeeds {
  double array = 0.0;  // bytes of one (C, H, W) float32 array over the grid's extent
  double band = 0.0;   // bytes of one band of window rows: accumulator, condition, a mapped array's resident rows
};
CanvasNeeds canvas_needs(int64_t channels, const WindowGrid& grid, int planes);

struct CanvasPlan {
  CanvasStore store = CanvasStore::Ram;            // y_t and y_{t-1}
  CanvasStore condition_store = CanvasStore::Ram;  // the condition
  CanvasNeeds needs;
  double max_ram = 0.0, max_device = 0.0;  // the limits it was planned for
  torch::Device device = torch::kCPU;      // where the network runs
  std::string tmpdir;                      // where mapped arrays go

  // Bytes the canvas takes in accelerator memory and in host RAM.
  double device_bytes() const;
  double ram_bytes() const;
  // "in accelerator memory (cuda:0)", "in host RAM", "memory-mapped under /tmp": of the arrays, or
  // of the condition.
  std::string where(CanvasStore store) const;
  std::string where() const { return where(store); }
  // A (channels, rows, width) array where the plan puts the canvas, or the condition.
  std::unique_ptr<SceneArray> new_array(int64_t channels, int64_t rows, int64_t width) const;
  std::unique_ptr<SceneArray> new_condition_array(int64_t channels, int64_t rows, int64_t width) const;
};

// max_device: accelerator bytes the canvas may take (0: never on the accelerator). Throws when even
// a mapped canvas needs more than max_ram for one band of rows.
CanvasPlan plan_canvas(const CanvasNeeds& needs, double max_ram, double max_device, torch::Device device,
                       std::string tmpdir);

}  // namespace geosr
