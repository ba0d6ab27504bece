#include "geosr/core/resample/resample.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace geosr {
namespace {

struct Tap {
  int64_t index;
  double weight;
};

// OpenCV derives the source step from the inverse ratio (inv_scale = dst/src, scale = 1/inv_scale);
// doing the same keeps floor() decisions on exact-integer positions identical to cv::resize.
double source_step(int64_t src_len, int64_t dst_len) {
  return 1.0 / (static_cast<double>(dst_len) / static_cast<double>(src_len));
}

// Appends a tap, folding weights that land on the same (clamped) source sample.
void add_tap(std::vector<Tap>& taps, int64_t index, double weight) {
  if (!taps.empty() && taps.back().index == index) {
    taps.back().weight += weight;
  } else {
    taps.push_back({index, weight});
  }
}

// cv::resize INTER_CUBIC: Keys kernel with a = -0.75 on pixel centres, borders replicated. OpenCV
// rounds the source position to float and evaluates the kernel in float; we do the same, or the
// results drift apart by up to ~1e-3 on 0..255 data at large coordinates.
std::vector<Tap> cubic_taps(int64_t src_len, int64_t dst_len, int64_t d) {
  constexpr float A = -0.75f;
  const float f = static_cast<float>((static_cast<double>(d) + 0.5) * source_step(src_len, dst_len) - 0.5);
  const float s = std::floor(f);
  const float x = f - s;
  float c[4];
  c[0] = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
  c[1] = ((A + 2) * x - (A + 3)) * x * x + 1;
  c[2] = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
  c[3] = 1.f - c[0] - c[1] - c[2];
  std::vector<Tap> taps;
  for (int k = 0; k < 4; ++k) {
    const int64_t index = std::clamp<int64_t>(static_cast<int64_t>(s) - 1 + k, 0, src_len - 1);
    add_tap(taps, index, c[k]);
  }
  return taps;
}

// cv::resize INTER_AREA for shrinking (computeResizeAreaTab): the destination pixel's footprint
// [d*step, (d+1)*step) with fractional end overlaps. OpenCV drops end fragments under 1e-3 of a
// pixel without renormalising; we keep that so the results agree with it, not just approximately.
std::vector<Tap> area_taps(int64_t src_len, int64_t dst_len, int64_t d) {
  const double step = source_step(src_len, dst_len);
  const double f1 = static_cast<double>(d) * step;
  const double f2 = f1 + step;
  const double cell = std::min(step, static_cast<double>(src_len) - f1);
  int64_t s2 = std::min(static_cast<int64_t>(std::floor(f2)), src_len - 1);
  int64_t s1 = std::min(static_cast<int64_t>(std::ceil(f1)), s2);
  std::vector<Tap> taps;
  if (static_cast<double>(s1) - f1 > 1e-3) add_tap(taps, s1 - 1, (static_cast<double>(s1) - f1) / cell);
  for (int64_t s = s1; s < s2; ++s) add_tap(taps, s, 1.0 / cell);
  if (f2 - static_cast<double>(s2) > 1e-3) {
    add_tap(taps, s2, std::min(std::min(f2 - static_cast<double>(s2), 1.0), cell) / cell);
  }
  return taps;
}

void check_lengths(ResampleKernel kernel, int64_t src_len, int64_t dst_len) {
  if (src_len < 1 || dst_len < 1) {
    throw std::runtime_error("resample: lengths must be positive (source " + std::to_string(src_len) +
                             ", destination " + std::to_string(dst_len) + ")");
  }
  if (kernel == ResampleKernel::Area && dst_len > src_len) {
    // cv::resize switches INTER_AREA to a bilinear variant when enlarging; nothing here needs it.
    throw std::runtime_error("resample: area kernel only shrinks (source " + std::to_string(src_len) +
                             ", destination " + std::to_string(dst_len) + ")");
  }
}

void check_span(const Span& span, int64_t len, const char* what) {
  if (span.begin < 0 || span.end > len || span.begin >= span.end) {
    throw std::runtime_error(std::string("resample: ") + what + " span [" + std::to_string(span.begin) +
                             ", " + std::to_string(span.end) + ") is empty or outside [0, " +
                             std::to_string(len) + ")");
  }
}

// Taps of one destination sample, ascending in source index, zero weights dropped (they occur
// exactly at integer source positions) so that source_span is minimal.
std::vector<Tap> taps_for(ResampleKernel kernel, int64_t src_len, int64_t dst_len, int64_t d) {
  auto taps = kernel == ResampleKernel::Cubic ? cubic_taps(src_len, dst_len, d)
                                              : area_taps(src_len, dst_len, d);
  taps.erase(std::remove_if(taps.begin(), taps.end(), [](const Tap& t) { return t.weight == 0.0; }),
             taps.end());
  return taps;
}

// All taps of a destination span, checked to lie inside `src`.
std::vector<std::vector<Tap>> span_taps(ResampleKernel kernel, int64_t src_len, int64_t dst_len, Span dst,
                                        Span src) {
  check_lengths(kernel, src_len, dst_len);
  check_span(dst, dst_len, "destination");
  check_span(src, src_len, "source");
  const Span needed = source_span(kernel, src_len, dst_len, dst);
  if (needed.begin < src.begin || needed.end > src.end) {
    throw std::runtime_error("resample: source span [" + std::to_string(src.begin) + ", " +
                             std::to_string(src.end) + ") lacks the halo; need [" +
                             std::to_string(needed.begin) + ", " + std::to_string(needed.end) + ")");
  }
  std::vector<std::vector<Tap>> all;
  all.reserve(static_cast<size_t>(dst.size()));
  for (int64_t d = dst.begin; d < dst.end; ++d) all.push_back(taps_for(kernel, src_len, dst_len, d));
  return all;
}

// Resamples along `dim` with a banded gather: one index_select per tap position instead of a dense
// matmul, so whole scenes cost O(taps x pixels). Each output is the same sum in the same tap order
// however the image is cut into blocks, so block-wise results match the whole image bit for bit.
torch::Tensor resample_axis(const torch::Tensor& x, int64_t dim, const std::vector<std::vector<Tap>>& taps,
                            int64_t src_begin) {
  const int64_t n = static_cast<int64_t>(taps.size());
  size_t width = 0;
  for (const auto& t : taps) width = std::max(width, t.size());
  // Short rows are padded with a repeat of their first tap at weight 0: a real sample, so padding
  // never introduces a NaN that the row would not already read.
  std::vector<int64_t> index(static_cast<size_t>(n) * width);
  std::vector<double> weight(static_cast<size_t>(n) * width, 0.0);
  for (int64_t d = 0; d < n; ++d) {
    const auto& row = taps[static_cast<size_t>(d)];
    for (size_t k = 0; k < width; ++k) {
      const size_t at = static_cast<size_t>(d) * width + k;
      index[at] = (k < row.size() ? row[k].index : row.front().index) - src_begin;
      if (k < row.size()) weight[at] = row[k].weight;
    }
  }
  const auto idx = torch::from_blob(index.data(), {n, static_cast<int64_t>(width)}, torch::kInt64)
                       .to(x.device());
  auto w = torch::from_blob(weight.data(), {n, static_cast<int64_t>(width)}, torch::kFloat64)
               .to(x.device(), x.scalar_type());
  const bool rows = dim == x.dim() - 2;
  torch::Tensor out;
  for (int64_t k = 0; k < static_cast<int64_t>(width); ++k) {
    auto wk = w.select(1, k);
    if (rows) wk = wk.unsqueeze(1);
    auto term = x.index_select(dim, idx.select(1, k).contiguous()) * wk;
    out = k == 0 ? term : out.add_(term);
  }
  return out;
}

}  // namespace

Span source_span(ResampleKernel kernel, int64_t src_len, int64_t dst_len, Span dst) {
  check_lengths(kernel, src_len, dst_len);
  check_span(dst, dst_len, "destination");
  Span span{src_len, 0};
  for (int64_t d = dst.begin; d < dst.end; ++d) {
    for (const auto& t : taps_for(kernel, src_len, dst_len, d)) {
      span.begin = std::min(span.begin, t.index);
      span.end = std::max(span.end, t.index + 1);
    }
  }
  return span;
}

torch::Tensor axis_weights(ResampleKernel kernel, int64_t src_len, int64_t dst_len, Span dst, Span src) {
  const auto taps = span_taps(kernel, src_len, dst_len, dst, src);
  auto weights = torch::zeros({dst.size(), src.size()}, torch::kFloat64);
  auto acc = weights.accessor<double, 2>();
  for (int64_t d = 0; d < dst.size(); ++d) {
    for (const auto& t : taps[static_cast<size_t>(d)]) acc[d][t.index - src.begin] += t.weight;
  }
  return weights;
}

torch::Tensor resample_block(const torch::Tensor& src_block, ResampleKernel kernel, int64_t src_h, int64_t src_w,
                             Span src_rows, Span src_cols, int64_t dst_h, int64_t dst_w, Span dst_rows,
                             Span dst_cols) {
  if (src_block.dim() < 2 || !src_block.is_floating_point()) {
    throw std::runtime_error("resample: expected a floating-point tensor (..., h, w)");
  }
  const int64_t h = src_block.size(-2);
  const int64_t w = src_block.size(-1);
  if (h != src_rows.size() || w != src_cols.size()) {
    throw std::runtime_error("resample: block is " + std::to_string(h) + " x " + std::to_string(w) +
                             " but its spans are " + std::to_string(src_rows.size()) + " x " +
                             std::to_string(src_cols.size()));
  }
  const auto row_taps = span_taps(kernel, src_h, dst_h, dst_rows, src_rows);
  const auto col_taps = span_taps(kernel, src_w, dst_w, dst_cols, src_cols);
  // Half types lose too much in the tap sums; they are resampled in float and cast back.
  const bool widen = src_block.scalar_type() != torch::kFloat32 && src_block.scalar_type() != torch::kFloat64;
  const auto x = widen ? src_block.to(torch::kFloat32) : src_block;
  auto out = resample_axis(x, x.dim() - 1, col_taps, src_cols.begin);
  out = resample_axis(out, out.dim() - 2, row_taps, src_rows.begin);
  return out.to(src_block.scalar_type());
}

torch::Tensor masked_resample_block(const torch::Tensor& src_block, const torch::Tensor& valid, ResampleKernel kernel,
                                    int64_t src_h, int64_t src_w, Span src_rows, Span src_cols,
                                    int64_t dst_h, int64_t dst_w, Span dst_rows, Span dst_cols) {
  const auto plain = resample_block(src_block, kernel, src_h, src_w, src_rows, src_cols, dst_h, dst_w, dst_rows, dst_cols);
  if (valid.all().item<bool>()) return plain;
  const auto mask = valid.to(torch::kFloat64);
  const auto weight = resample_block(mask, kernel, src_h, src_w, src_rows, src_cols, dst_h, dst_w, dst_rows, dst_cols);
  const auto sum = resample_block(src_block.to(torch::kFloat64) * mask, kernel, src_h, src_w, src_rows, src_cols, dst_h,
                                  dst_w, dst_rows, dst_cols);
  const auto cut = ((weight - 1.0).abs() > 1e-9).logical_and_(weight > 0.25);
  return torch::where(cut, (sum / weight.clamp_min(0.25)).to(plain.scalar_type()), plain);
}

torch::Tensor resample(const torch::Tensor& image, ResampleKernel kernel, int64_t out_h, int64_t out_w) {
  if (image.dim() < 2) throw std::runtime_error("resample: expected a tensor (..., h, w)");
  const int64_t h = image.size(-2);
  const int64_t w = image.size(-1);
  return resample_block(image, kernel, h, w, {0, h}, {0, w}, out_h, out_w, {0, out_h}, {0, out_w});
}

torch::Tensor degrade(const torch::Tensor& hr, int64_t scale) {
  if (hr.dim() < 2) throw std::runtime_error("degrade: expected a tensor (..., H, W)");
  if (scale < 1) throw std::runtime_error("degrade: scale must be >= 1, got " + std::to_string(scale));
  const int64_t out_h = hr.size(-2) / scale;
  const int64_t out_w = hr.size(-1) / scale;
  if (out_h < 1 || out_w < 1) {
    throw std::runtime_error("degrade: " + std::to_string(hr.size(-2)) + " x " + std::to_string(hr.size(-1)) +
                             " is smaller than the scale " + std::to_string(scale));
  }
  // Trailing rows/columns that do not fill a whole LR pixel are dropped rather than stretched over,
  // so every LR pixel is the exact mean of its scale x scale HR block and the LR grid stays an
  // integer subdivision of the HR grid (same origin, pixel size times scale).
  const auto covered = hr.narrow(-2, 0, out_h * scale).narrow(-1, 0, out_w * scale);
  return resample(covered, ResampleKernel::Area, out_h, out_w);
}

torch::Tensor condition_from_lr(const torch::Tensor& lr, int64_t out_h, int64_t out_w) {
  return resample(lr, ResampleKernel::Cubic, out_h, out_w);
}

}  // namespace geosr
