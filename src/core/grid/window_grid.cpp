#include "geosr/core/grid/window_grid.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace geosr {

Region Region::intersect(const Region& o) const {
  Region r{std::max(y0, o.y0), std::max(x0, o.x0), std::min(y1, o.y1), std::min(x1, o.x1)};
  if (r.empty()) return {r.y0, r.x0, r.y0, r.x0};
  return r;
}

std::vector<int64_t> window_origins(int64_t length, int64_t size, int64_t stride) {
  if (size <= 0 || stride <= 0 || stride > size)
    throw std::runtime_error("window grid: need 0 < stride <= window size (got window " +
                             std::to_string(size) + ", stride " + std::to_string(stride) + ")");
  if (length < size)
    throw std::runtime_error("window grid: axis of " + std::to_string(length) +
                             " px is shorter than the window");
  std::vector<int64_t> origins;
  for (int64_t o = 0; o + size <= length; o += stride) origins.push_back(o);
  if (origins.back() + size < length) origins.push_back(length - size);
  return origins;
}

namespace {

void check_scene(int64_t height, int64_t width) {
  if (height <= 0 || width <= 0)
    throw std::runtime_error("window grid: empty scene (" + std::to_string(height) + " x " +
                             std::to_string(width) + ")");
}

}  // namespace

WindowGrid::WindowGrid(int64_t height, int64_t width, int64_t size, int64_t stride, int64_t extent_h,
                       int64_t extent_w, std::vector<int64_t> origins_y,
                       std::vector<int64_t> origins_x)
    : height_(height),
      width_(width),
      size_(size),
      stride_(stride),
      extent_h_(extent_h),
      extent_w_(extent_w),
      origins_y_(std::move(origins_y)),
      origins_x_(std::move(origins_x)) {}

WindowGrid WindowGrid::overlapping(int64_t height, int64_t width, int64_t size, int64_t stride) {
  check_scene(height, width);
  const int64_t eh = std::max(height, size), ew = std::max(width, size);
  return WindowGrid(height, width, size, stride, eh, ew, window_origins(eh, size, stride),
                    window_origins(ew, size, stride));
}

WindowGrid WindowGrid::tiles(int64_t height, int64_t width, int64_t size) {
  check_scene(height, width);
  if (size <= 0) throw std::runtime_error("window grid: window size must be positive");
  const auto round_up = [size](int64_t n) { return (n + size - 1) / size * size; };
  const int64_t eh = round_up(height), ew = round_up(width);
  return WindowGrid(height, width, size, size, eh, ew, window_origins(eh, size, size),
                    window_origins(ew, size, size));
}

namespace {

// Indices of the origins o (sorted) with [o, o + size) intersecting [lo, hi).
std::pair<size_t, size_t> touching(const std::vector<int64_t>& origins, int64_t size, int64_t lo,
                                   int64_t hi) {
  const auto first = std::upper_bound(origins.begin(), origins.end(), lo - size);
  const auto last = std::lower_bound(origins.begin(), origins.end(), hi);
  return {static_cast<size_t>(first - origins.begin()), static_cast<size_t>(last - origins.begin())};
}

}  // namespace

WindowGrid WindowGrid::crop(const Region& region) const {
  const auto [ya, yb] = touching(origins_y_, size_, region.y0, region.y1);
  const auto [xa, xb] = touching(origins_x_, size_, region.x0, region.x1);
  if (region.empty() || ya >= yb || xa >= xb)
    throw std::runtime_error("window grid: the crop region touches no window");
  const int64_t oy = origins_y_[ya], ox = origins_x_[xa];
  const auto shifted = [](const std::vector<int64_t>& origins, size_t a, size_t b, int64_t by) {
    std::vector<int64_t> out;
    for (size_t i = a; i < b; ++i) out.push_back(origins[i] - by);
    return out;
  };
  std::vector<int64_t> ys = shifted(origins_y_, ya, yb, oy), xs = shifted(origins_x_, xa, xb, ox);
  const int64_t eh = ys.back() + size_, ew = xs.back() + size_;
  WindowGrid cropped(std::min(eh, height_ - oy), std::min(ew, width_ - ox), size_, stride_, eh, ew, std::move(ys),
                     std::move(xs));
  cropped.origin_y_ = origin_y_ + oy;
  cropped.origin_x_ = origin_x_ + ox;
  return cropped;
}

Window WindowGrid::window(int64_t index) const {
  const auto nx = static_cast<int64_t>(origins_x_.size());
  if (index < 0 || index >= size())
    throw std::runtime_error("window grid: window index " + std::to_string(index) + " out of range");
  return {index, origins_y_[index / nx], origins_x_[index % nx]};
}

std::vector<Window> WindowGrid::windows() const {
  std::vector<Window> all;
  all.reserve(size());
  for (int64_t i = 0; i < size(); ++i) all.push_back(window(i));
  return all;
}

std::vector<Window> WindowGrid::windows_touching(const Region& region) const {
  std::vector<Window> found;
  if (region.empty()) return found;
  const auto [ya, yb] = touching(origins_y_, size_, region.y0, region.y1);
  const auto [xa, xb] = touching(origins_x_, size_, region.x0, region.x1);
  const auto nx = static_cast<int64_t>(origins_x_.size());
  for (size_t iy = ya; iy < yb; ++iy)
    for (size_t ix = xa; ix < xb; ++ix)
      found.push_back({static_cast<int64_t>(iy) * nx + static_cast<int64_t>(ix), origins_y_[iy],
                       origins_x_[ix]});
  return found;
}

}  // namespace geosr
