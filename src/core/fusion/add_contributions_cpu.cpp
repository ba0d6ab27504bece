#include <atomic>

#include <ATen/Parallel.h>

#include "window_contributions.hpp"

namespace geosr {

void add_window_contributions_cpu(const WindowContributions& w, uint64_t* largest) {
  const int64_t blocks = w.blocks(), plane = w.channels * w.rows * w.width;
  std::atomic<uint64_t> most{*largest};
  // Windows overlap, so they take turns; a window's own values never share a sum.
  for (int64_t window = 0; window < w.n; ++window) {
    at::parallel_for(0, blocks, 1024, [&](int64_t begin, int64_t end) {
      uint64_t local = 0;
      for (int64_t block = begin; block < end; ++block) {
        const BlockContributions b = block_contributions(w, window, block);
        for (int lane = 0; lane < b.count; ++lane) {
          w.sums[b.at[lane]] += b.add[0][lane];
          if (w.two_planes) w.sums[plane + b.at[lane]] += b.add[1][lane];
        }
        if (b.largest > local) local = b.largest;
      }
      uint64_t seen = most.load();
      while (local > seen && !most.compare_exchange_weak(seen, local)) {
      }
    });
  }
  *largest = most.load();
}

}  // namespace geosr
