#include "geosr/core/canvas/streaming_sampler.hpp"

#include <algorithm>
#include <stdexcept>

#include "geosr/core/canvas/window_step.hpp"

namespace geosr {

void run_streaming(const StreamingRun& run, BandCanvas& canvas, int steps_completed) {
  const int steps = run.sampler.steps();
  if (steps_completed < 0 || steps_completed > steps)
    throw std::runtime_error("streaming sampler: the run has " + std::to_string(steps) + " steps, not " +
                             std::to_string(steps_completed));
  const WindowGrid& grid = run.fuser.grid();
  WindowStepper stepper{run.denoiser, run.sampler, run.fuser, run.seed, run.batch, run.device};
  const auto group = static_cast<size_t>(stepper.group());
  const auto& rows = grid.origins_y();
  const auto& cols = grid.origins_x();
  const auto ncols = static_cast<int64_t>(cols.size());

  // Which windows run is the same at every step: decided once.
  std::vector<std::vector<Window>> active(rows.size());
  for (size_t r = 0; r < rows.size(); ++r)
    for (int64_t c = 0; c < ncols; ++c) {
      const Window win{static_cast<int64_t>(r) * ncols + c, rows[r], cols[c]};
      if (!run.skip || !run.skip(win)) active[r].push_back(win);
    }

  SceneProgress progress;
  progress.steps = steps;
  for (const auto& row : active) progress.windows += static_cast<int64_t>(row.size());
  for (int t = steps - 1 - steps_completed; t >= 0; --t) {
    progress.step = steps - 1 - t;
    progress.windows_done = 0;
    for (size_t r = 0; r < rows.size(); ++r) {
      canvas.complete_rows_above(rows[r], run.fuser);
      const auto& row = active[r];
      for (size_t first = 0; first < row.size(); first += group) {
        const size_t last = std::min(row.size(), first + group);
        stepper.run(t, {row.begin() + first, row.begin() + last}, run.condition, canvas);
        progress.windows_done += static_cast<int64_t>(last - first);
        if (run.progress) run.progress(progress);
      }
    }
    stepper.check_contributions();
    canvas.finish_step(run.fuser);
    if (run.step_completed) run.step_completed(steps - t);
  }
}

}  // namespace geosr
