#include "geosr/io/progress.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>

namespace geosr {
namespace {

std::atomic<bool> line_open{false};

}  // namespace

void end_progress_line() {
  if (line_open.exchange(false)) std::fputc('\n', stderr);
}

int CPL_STDCALL stderr_progress(double complete, const char* message, void* data) {
  // `data` points at an int holding the last tick printed (-1 before the first); GDALTermProgress
  // keeps that in a static instead, which is also the fallback here.
  static int fallback = -1;
  int& last = data ? *static_cast<int*>(data) : fallback;
  const int tick = static_cast<int>(std::floor(std::clamp(complete, 0.0, 1.0) * 40.0));
  if (tick <= last) return 1;
  while (last < tick) {
    ++last;
    if (last % 4 == 0) {
      std::fprintf(stderr, "%d", last / 4 * 10);
      if (message && *message && last > 0 && last < 40) std::fprintf(stderr, " (%s)", message);
    } else {
      std::fputc('.', stderr);
    }
  }
  if (last == 40) std::fputs(" - done.\n", stderr);
  line_open = last < 40;
  std::fflush(stderr);
  return 1;
}

}  // namespace geosr
