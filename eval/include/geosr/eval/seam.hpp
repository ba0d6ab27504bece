#pragma once
// Seam score: mean absolute gradient across the window boundaries of the grid that produced the
// candidate, divided by the mean absolute gradient everywhere else (1.0 = no seams). The grid is
// the official layout (regular stride plus an edge-flush last window, as geosr::window_origins).

#include <cstdint>
#include <vector>

#include "geosr/eval/block.hpp"

namespace geosr::eval {

// Boundary lines along an axis: a line at L separates pixels L-1 and L. Window starts and ends
// strictly inside (0, length); an axis shorter than the window (padded when generated) has none.
std::vector<int64_t> seam_lines(int64_t length, int64_t window, int64_t stride);

struct SeamScores {
  double candidate = 0.0;
  double reference = 0.0;  // the same score on the reference: what "no seams" looks like here
};

class SeamAccumulator {
 public:
  static constexpr int64_t kHalo = 1;  // each pixel's gradient reaches back one pixel
  SeamAccumulator(const SceneShape& scene, int64_t window, int64_t stride);
  void add(const BlockPair& block);
  SeamScores scores() const;

 private:
  struct Sums {
    double boundary = 0, interior = 0;
    int64_t boundary_n = 0, interior_n = 0;
    double ratio(const char* which) const;
  };
  void add_axis(const BlockPair& block, int64_t dim);

  SceneShape scene_;
  std::vector<uint8_t> row_line_, col_line_;  // 1 where a boundary line lies
  Sums candidate_, reference_;
};

}  // namespace geosr::eval
