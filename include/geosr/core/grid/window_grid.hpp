#pragma once
// The windows a scene is denoised in. Coordinates are those of the grid's extent: the scene
// occupies [0, height) x [0, width) of it, and the extent is larger only where the scene had to be
// padded (by reflection, at the bottom/right) to hold whole windows. A crop of a grid (the windows
// around one block of a scene) has coordinates of its own and remembers where its (0, 0) lies in
// the full grid, which keeps each window's noise that of the whole-scene run.

#include <cstdint>
#include <vector>

namespace geosr {

// Half-open pixel rectangle [y0, y1) x [x0, x1).
struct Region {
  int64_t y0 = 0, x0 = 0, y1 = 0, x1 = 0;
  int64_t height() const { return y1 - y0; }
  int64_t width() const { return x1 - x0; }
  bool empty() const { return y1 <= y0 || x1 <= x0; }
  Region intersect(const Region& o) const;
  bool operator==(const Region& o) const {
    return y0 == o.y0 && x0 == o.x0 && y1 == o.y1 && x1 == o.x1;
  }
};

struct Window {
  int64_t index = 0;  // row-major position in the grid
  int64_t y = 0, x = 0;  // origin in grid coordinates
};

class WindowGrid {
 public:
  // Overlapping windows of `size` at `stride` (the InfScene-SR layout): origins 0, s, 2s, ... while
  // the window fits, plus one window flush with the far edge when those stop short of it. An axis
  // shorter than `size` is padded to `size`.
  static WindowGrid overlapping(int64_t height, int64_t width, int64_t size, int64_t stride);
  // Non-overlapping tiles 0, P, 2P, ...; the extent is padded up to a multiple of P so that every
  // tile is whole and independent of the others (the SR3 tiled baseline).
  static WindowGrid tiles(int64_t height, int64_t width, int64_t size);

  // The windows touching `region` (of this grid's extent) as a grid of their own: its extent is the
  // union of their footprints, its scene the part of that union inside this grid's scene.
  WindowGrid crop(const Region& region) const;
  // Where this grid's (0, 0) lies in the grid it was cropped from (0, 0 for a full grid).
  int64_t origin_y() const { return origin_y_; }
  int64_t origin_x() const { return origin_x_; }

  int64_t height() const { return height_; }  // the scene
  int64_t width() const { return width_; }
  int64_t extent_height() const { return extent_h_; }  // the padded extent the windows cover
  int64_t extent_width() const { return extent_w_; }
  Region scene() const { return {0, 0, height_, width_}; }  // where the scene lies in the extent
  Region extent() const { return {0, 0, extent_h_, extent_w_}; }
  bool padded() const { return extent_h_ != height_ || extent_w_ != width_; }

  int64_t window_size() const { return size_; }
  int64_t stride() const { return stride_; }
  const std::vector<int64_t>& origins_y() const { return origins_y_; }
  const std::vector<int64_t>& origins_x() const { return origins_x_; }

  int64_t size() const { return static_cast<int64_t>(origins_y_.size() * origins_x_.size()); }
  Window window(int64_t index) const;
  std::vector<Window> windows() const;
  Region footprint(const Window& w) const { return {w.y, w.x, w.y + size_, w.x + size_}; }
  // Windows whose footprint intersects `region`, in row-major order; found by bisection on the
  // origin lists, so the cost does not grow with the scene.
  std::vector<Window> windows_touching(const Region& region) const;

 private:
  WindowGrid(int64_t height, int64_t width, int64_t size, int64_t stride, int64_t extent_h,
             int64_t extent_w, std::vector<int64_t> origins_y, std::vector<int64_t> origins_x);

  int64_t height_, width_, size_, stride_, extent_h_, extent_w_;
  std::vector<int64_t> origins_y_, origins_x_;
  int64_t origin_y_ = 0, origin_x_ = 0;
};

// Window origins along one axis of `length` (>= size) in the overlapping layout.
std::vector<int64_t> window_origins(int64_t length, int64_t size, int64_t stride);

}  // namespace geosr
