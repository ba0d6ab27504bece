#include "geosr/eval/seam.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "geosr/core/grid/window_grid.hpp"

namespace geosr::eval {

std::vector<int64_t> seam_lines(int64_t length, int64_t window, int64_t stride) {
  if (length < window) return {};
  std::vector<int64_t> lines;
  for (int64_t o : window_origins(length, window, stride)) {
    if (o > 0) lines.push_back(o);
    if (o + window < length) lines.push_back(o + window);
  }
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  return lines;
}

namespace {

std::vector<uint8_t> line_mask(int64_t length, int64_t window, int64_t stride) {
  std::vector<uint8_t> mask(static_cast<size_t>(length), 0);
  for (int64_t l : seam_lines(length, window, stride)) mask[static_cast<size_t>(l)] = 1;
  return mask;
}

}  // namespace

SeamAccumulator::SeamAccumulator(const SceneShape& scene, int64_t window, int64_t stride)
    : scene_(scene), row_line_(line_mask(scene.height, window, stride)),
      col_line_(line_mask(scene.width, window, stride)) {
  if (window <= 0 || stride <= 0 || stride > window) {
    throw std::runtime_error("seam score: need 0 < stride <= window (got " + std::to_string(window) + "," +
                             std::to_string(stride) + ")");
  }
}

void SeamAccumulator::add(const BlockPair& block) {
  require_halo(block, scene_, kHalo, "seam score");
  add_axis(block, 1);
  add_axis(block, 2);
}

// Gradients along `dim` (1 rows, 2 columns) owned by the core's pixels: pixel p owns the
// difference to its predecessor p-1, which is in the block thanks to the halo.
void SeamAccumulator::add_axis(const BlockPair& block, int64_t dim) {
  const bool rows = dim == 1;
  const int64_t first = std::max<int64_t>(rows ? block.core.y0 : block.core.x0, rows ? 1 - block.y0 : 1 - block.x0);
  const int64_t last = rows ? block.core.y1 : block.core.x1;
  if (last <= first) return;
  const int64_t n = last - first;
  const int64_t other0 = rows ? block.core.x0 : block.core.y0;
  const int64_t other_n = rows ? block.core.width() : block.core.height();
  const auto take = [&](const torch::Tensor& t, int64_t start) {
    return t.narrow(dim, start, n).narrow(dim == 1 ? 2 : 1, other0, other_n);
  };
  const auto valid = block.valid.unsqueeze(0);
  const auto ok = (take(valid, first) & take(valid, first - 1)).to(torch::kFloat64);
  // Which of these gradients straddle a boundary line (global index of the owning pixel).
  const auto& lines = rows ? row_line_ : col_line_;
  const int64_t offset = rows ? block.y0 : block.x0;
  auto on_line = torch::empty({n}, torch::kFloat64);
  for (int64_t i = 0; i < n; ++i) on_line[i] = static_cast<double>(lines[static_cast<size_t>(offset + first + i)]);
  const auto line_shape = rows ? std::vector<int64_t>{1, n, 1} : std::vector<int64_t>{1, 1, n};
  const auto boundary = ok * on_line.view(line_shape);
  const auto interior = ok - boundary;
  const int64_t bands = block.reference.size(0);
  for (auto [t, sums] : {std::pair{&block.candidate, &candidate_}, std::pair{&block.reference, &reference_}}) {
    const auto grad = (take(*t, first) - take(*t, first - 1)).abs();
    sums->boundary += (grad * boundary).sum().item<double>();
    sums->interior += (grad * interior).sum().item<double>();
  }
  const int64_t nb = std::llround(boundary.sum().item<double>()) * bands;
  const int64_t ni = std::llround(interior.sum().item<double>()) * bands;
  for (Sums* s : {&candidate_, &reference_}) {
    s->boundary_n += nb;
    s->interior_n += ni;
  }
}

double SeamAccumulator::Sums::ratio(const char* which) const {
  if (boundary_n == 0 || interior_n == 0) {
    throw std::runtime_error(std::string("seam score: the ") + which +
                             " has no valid gradients across or between window boundaries");
  }
  const double inside = interior / static_cast<double>(interior_n);
  const double across = boundary / static_cast<double>(boundary_n);
  if (inside == 0.0) return across == 0.0 ? 1.0 : std::numeric_limits<double>::infinity();
  return across / inside;
}

SeamScores SeamAccumulator::scores() const { return {candidate_.ratio("candidate"), reference_.ratio("reference")}; }

}  // namespace geosr::eval
