#pragma once
// How a distributed run splits a scene's window grid between processes: each process takes a run
// of consecutive rows of windows (spatially compact, so it only shares rows of pixels with the
// processes just above and below it), with about the same number of windows to denoise.

#include <cstdint>
#include <vector>

#include "geosr/core/grid/window_grid.hpp"

namespace geosr {

struct RowPart {
  int64_t first = 0, last = 0;  // rows of windows [first, last); empty for an idle process
  int64_t y0 = 0, y1 = 0;       // grid rows its windows cover
  int64_t own0 = 0, own1 = 0;   // grid rows it delivers to the output (a partition of the extent)
  int64_t shared_top = 0, shared_bottom = 0;  // rows at the top / bottom its neighbours' windows also cover
  int64_t windows = 0;          // windows it denoises per step
  bool empty() const { return first == last; }
};

// `active[r]`: the windows of window row r that are denoised (the others are skipped as NoData).
// Parts go to the first processes; a process gets no rows when there are too few rows for every
// process to hold enough of them that only neighbours share pixels.
std::vector<RowPart> partition_rows(const WindowGrid& grid, const std::vector<int64_t>& active, int processes);

}  // namespace geosr
