#include "geosr/core/distributed/row_partition.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace geosr {
namespace {

// Cuts rows [0, n) into `parts` runs of at least `min_rows`, balancing the cumulative weights.
std::vector<int64_t> cut_points(const std::vector<int64_t>& weights, int parts, int64_t min_rows) {
  const auto n = static_cast<int64_t>(weights.size());
  std::vector<int64_t> cumulative(weights.size() + 1, 0);
  std::partial_sum(weights.begin(), weights.end(), cumulative.begin() + 1);
  const double total = static_cast<double>(cumulative.back());
  std::vector<int64_t> cuts{0};
  for (int i = 1; i < parts; ++i) {
    const double target = total * i / parts;
    // The row boundary whose cumulative weight is closest to an equal share.
    auto cut = static_cast<int64_t>(std::lower_bound(cumulative.begin(), cumulative.end(), target) - cumulative.begin());
    if (cut > 0 && target - static_cast<double>(cumulative[cut - 1]) < static_cast<double>(cumulative[cut]) - target) --cut;
    cut = std::clamp(cut, cuts.back() + min_rows, n - (parts - i) * min_rows);
    cuts.push_back(cut);
  }
  cuts.push_back(n);
  return cuts;
}

}  // namespace

std::vector<RowPart> partition_rows(const WindowGrid& grid, const std::vector<int64_t>& active, int processes) {
  const auto& origins = grid.origins_y();
  const auto rows = static_cast<int64_t>(origins.size());
  if (processes < 1) throw std::runtime_error("row partition: at least one process is needed");
  if (static_cast<int64_t>(active.size()) != rows)
    throw std::runtime_error("row partition: one window count per row of windows is needed");
  const int64_t size = grid.window_size();
  // Rows of windows that together span a window: with at least that many per part, the windows of
  // a part never reach past the next part's rows.
  const int64_t min_rows = std::max<int64_t>(1, (size + grid.stride() - 1) / grid.stride());
  std::vector<RowPart> parts(static_cast<size_t>(processes));
  for (int used = static_cast<int>(std::min<int64_t>(processes, std::max<int64_t>(1, rows / min_rows))); used >= 1; --used) {
    const auto cuts = cut_points(active, used, min_rows);
    std::vector<RowPart> trial(static_cast<size_t>(processes));
    bool neighbours_only = true;
    for (int i = 0; i < used; ++i) {
      RowPart& p = trial[static_cast<size_t>(i)];
      p.first = cuts[i];
      p.last = cuts[i + 1];
      p.y0 = origins[p.first];
      p.y1 = origins[p.last - 1] + size;
      p.windows = std::accumulate(active.begin() + p.first, active.begin() + p.last, int64_t{0});
      if (i >= 2 && trial[static_cast<size_t>(i - 2)].y1 > p.y0) neighbours_only = false;
    }
    if (!neighbours_only) continue;  // the far-edge window can sit closer than a stride: use fewer parts
    for (int i = 0; i < used; ++i) {
      RowPart& p = trial[static_cast<size_t>(i)];
      p.own0 = i == 0 ? 0 : p.y0;
      p.own1 = i + 1 < used ? trial[static_cast<size_t>(i + 1)].y0 : grid.extent_height();
      p.shared_top = i == 0 ? 0 : trial[static_cast<size_t>(i - 1)].y1 - p.y0;
      p.shared_bottom = i + 1 < used ? p.y1 - trial[static_cast<size_t>(i + 1)].y0 : 0;
    }
    for (int i = used; i < processes; ++i) {
      trial[static_cast<size_t>(i)].first = trial[static_cast<size_t>(i)].last = rows;
    }
    return trial;
  }
  throw std::runtime_error("row partition: no valid partition");  // used == 1 is always valid
}

}  // namespace geosr
