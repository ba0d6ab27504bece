#pragma once
// What every diffusion run of `geosr sr` sets up before denoising, whether it runs in one process
// or as one rank of an MPI job: the model, the input, the window grid and which windows have
// data, the memory plan, the settings a checkpoint must match, and how the result is written.

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "diffusion_job.hpp"
#include "geosr/core/canvas/band_canvas.hpp"
#include "geosr/core/canvas/canvas_plan.hpp"
#include "geosr/core/canvas/checkpoint.hpp"
#include "geosr/core/canvas/condition_cache.hpp"
#include "geosr/core/canvas/condition_source.hpp"
#include "geosr/core/canvas/scene_sampler.hpp"
#include "geosr/core/canvas/streaming_sampler.hpp"
#include "geosr/io/output_spec.hpp"

namespace geosr::cli {

struct DiffusionScene {
  DiffusionScene(const DiffusionJob& job, IoOptions& io);
  DiffusionScene(const DiffusionScene&) = delete;
  DiffusionScene& operator=(const DiffusionScene&) = delete;

  const WindowGrid& grid() const { return fuser.grid(); }
  // Reads rows x cols of the LR input in the network's range, with its validity.
  LrReader lr_reader() const;
  bool skipped(const Window& win) const { return skip[static_cast<size_t>(win.index)]; }
  // Windows denoised per step in each row of windows.
  std::vector<int64_t> active_per_row() const;
  // The streaming sampler over the windows with data in rows of windows [first_row, last_row). Its
  // condition is computed once, over the rows those windows cover, where the plan puts it.
  StreamingRun streaming_run(std::function<void(const SceneProgress&)> progress,
                             std::function<void(int steps_completed)> step_completed, int64_t first_row = 0,
                             int64_t last_row = std::numeric_limits<int64_t>::max());
  // A (C, rows, extent width) array of the canvas where the plan puts it.
  std::unique_ptr<SceneArray> new_array(int64_t rows) const;
  // The same in host memory (RAM, or mapped when the plan maps): where a whole output is assembled.
  std::unique_ptr<SceneArray> new_host_array(int64_t rows) const;
  // A band canvas over `state` with its scratch array and the accumulator on the network's device.
  BandCanvas new_canvas(std::unique_ptr<SceneArray> state, SharedRows shared = {}) const;
  // y_T over grid rows [y0, y1) of `state` (whose row 0 is grid row y0).
  void write_initial_noise(SceneArray& state, int64_t y0) const;
  // Prints the work, memory and time estimate of --dry-run; `processes` share the windows.
  void print_estimate(int processes) const;
  // Throws when nothing is left to compute; warns about missing georeferencing.
  void check_runnable() const;
  // Writes the finished canvas (the whole extent, y_0) to io.dst as a COG; progress from 0.98 on.
  void write_output(SceneArray& state, const IoOptions& io, int* ticks) const;

  const DiffusionJob& job;
  DiffusionSetup setup;
  RasterSource source;
  ValueSurvey survey;  // read once: the value rule's warning, and the input's pixels a checkpoint records
  int64_t channels = 0, height = 0, width = 0;
  Fuser fuser;
  ConditionSource condition;
  std::vector<bool> skip;  // by window index: no valid pixel under it, never denoised
  int64_t active = 0;
  double seconds_per_window = 0.0;  // one window-step of the network, timed
  double program_ram = 0.0;         // bytes of RAM the process takes without its canvas
  double gdal_cache = 0.0;          // GDAL's block cache at most
  double max_ram = 0.0;             // what the whole run may take
  CanvasPlan plan;                  // where the canvas lives
  std::unique_ptr<ConditionCache> condition_cache;  // the streaming run's condition
  RunSettings settings;  // everything the output bytes depend on
  OutputSpec spec;
};

// GDAL-style progress of the denoising steps with windows per second and an ETA (0 to 0.98).
class StepProgress {
 public:
  StepProgress(int first_step, int steps, bool quiet)
      : first_(first_step), steps_(steps), quiet_(quiet), started_(std::chrono::steady_clock::now()) {}
  void operator()(const SceneProgress& p);
  int* ticks() { return &ticks_; }

 private:
  int first_, steps_;
  bool quiet_;
  std::chrono::steady_clock::time_point started_;
  int ticks_ = -1;
  std::string message_;
};

}  // namespace geosr::cli
