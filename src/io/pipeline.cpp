#include "geosr/io/pipeline.hpp"

#include <algorithm>
#include <stdexcept>

#include "geosr/io/raster_source.hpp"
#include "geosr/io/raster_writer.hpp"

namespace geosr {
namespace {

// Input footprint of output sample `i` along one axis (see resample_validity).
Span footprint(int64_t src_len, int64_t dst_len, int64_t i) {
  using wide = __int128;
  if (dst_len >= src_len) {
    const auto centre = static_cast<int64_t>((wide(2 * i + 1) * src_len) / (wide(2) * dst_len));
    return {centre, centre + 1};
  }
  const auto begin = static_cast<int64_t>((wide(i) * src_len) / dst_len);
  const auto end = static_cast<int64_t>((wide(i + 1) * src_len + dst_len - 1) / dst_len);
  return {begin, std::min(end, src_len)};
}

// Footprint begins and ends of the samples of `dst`, relative to `origin`.
std::pair<torch::Tensor, torch::Tensor> footprints(int64_t src_len, int64_t dst_len, Span dst, int64_t origin) {
  auto begins = torch::empty({dst.size()}, torch::kInt64);
  auto ends = torch::empty({dst.size()}, torch::kInt64);
  auto* b = begins.data_ptr<int64_t>();
  auto* e = ends.data_ptr<int64_t>();
  for (int64_t i = dst.begin; i < dst.end; ++i) {
    const Span f = footprint(src_len, dst_len, i);
    b[i - dst.begin] = f.begin - origin;
    e[i - dst.begin] = f.end - origin;
  }
  return {begins, ends};
}

Span hull(Span a, Span b) { return {std::min(a.begin, b.begin), std::max(a.end, b.end)}; }

// Chunk boundaries along one input axis: whole natural blocks, about `target` samples each.
std::vector<int64_t> chunk_bounds(int64_t len, int64_t block, int64_t target) {
  const int64_t step = std::max<int64_t>(1, (target + block - 1) / block) * block;
  std::vector<int64_t> bounds;
  for (int64_t a = 0; a < len; a += step) bounds.push_back(a);
  bounds.push_back(len);
  return bounds;
}

// The output sample where the input sample `a` begins (the output is partitioned with these).
int64_t to_output(int64_t a, int64_t src_len, int64_t dst_len) {
  return static_cast<int64_t>((static_cast<__int128>(a) * dst_len) / src_len);
}

}  // namespace

ResampleProcessor::ResampleProcessor(ResampleKernel kernel, int64_t src_h, int64_t src_w, int64_t dst_h,
                                     int64_t dst_w)
    : kernel_(kernel), src_h_(src_h), src_w_(src_w), dst_h_(dst_h), dst_w_(dst_w) {}

Span ResampleProcessor::source_rows(Span dst) const { return source_span(kernel_, src_h_, dst_h_, dst); }
Span ResampleProcessor::source_cols(Span dst) const { return source_span(kernel_, src_w_, dst_w_, dst); }

torch::Tensor ResampleProcessor::process(const torch::Tensor& src, const torch::Tensor& valid, Span src_rows,
                                         Span src_cols, Span dst_rows, Span dst_cols) {
  return masked_resample_block(src, valid, kernel_, src_h_, src_w_, src_rows, src_cols, dst_h_, dst_w_, dst_rows,
                               dst_cols);
}

Span validity_span(int64_t src_len, int64_t dst_len, Span dst) {
  return {footprint(src_len, dst_len, dst.begin).begin, footprint(src_len, dst_len, dst.end - 1).end};
}

torch::Tensor resample_validity(const torch::Tensor& valid, int64_t src_h, int64_t src_w, Span src_rows,
                                Span src_cols, int64_t dst_h, int64_t dst_w, Span dst_rows, Span dst_cols) {
  // Invalid counts over footprints from an integral image: one formula for both directions.
  auto invalid = torch::logical_not(valid).to(torch::kInt64);
  auto integral = torch::zeros({src_rows.size() + 1, src_cols.size() + 1}, torch::kInt64);
  integral.slice(0, 1).slice(1, 1).copy_(invalid.cumsum(0).cumsum(1));
  auto [rb, re] = footprints(src_h, dst_h, dst_rows, src_rows.begin);
  auto [cb, ce] = footprints(src_w, dst_w, dst_cols, src_cols.begin);
  if (rb.min().item<int64_t>() < 0 || re.max().item<int64_t>() > src_rows.size() ||
      cb.min().item<int64_t>() < 0 || ce.max().item<int64_t>() > src_cols.size()) {
    throw std::logic_error("resample_validity: input window does not cover the footprints");
  }
  rb = rb.unsqueeze(1);
  re = re.unsqueeze(1);
  cb = cb.unsqueeze(0);
  ce = ce.unsqueeze(0);
  auto count = integral.index({re, ce}) - integral.index({rb, ce}) - integral.index({re, cb}) +
               integral.index({rb, cb});
  return count == 0;
}

int64_t run_pipeline(const RasterSource& source, BlockProcessor& processor, RasterWriter& writer,
                     const PipelineOptions& options) {
  const int64_t src_h = source.height(), src_w = source.width();
  const int64_t dst_h = writer.spec().height, dst_w = writer.spec().width;
  const auto block = source.block_size();
  const auto row_bounds = chunk_bounds(src_h, block[1], options.chunk_target);
  const auto col_bounds = chunk_bounds(src_w, block[0], options.chunk_target);
  const double total = static_cast<double>(dst_h) * static_cast<double>(dst_w);
  double done = 0.0;
  int64_t valid_pixels = 0;

  for (size_t r = 0; r + 1 < row_bounds.size(); ++r) {
    const Span dst_rows{to_output(row_bounds[r], src_h, dst_h), to_output(row_bounds[r + 1], src_h, dst_h)};
    if (dst_rows.size() < 1) continue;
    for (size_t c = 0; c + 1 < col_bounds.size(); ++c) {
      const Span dst_cols{to_output(col_bounds[c], src_w, dst_w), to_output(col_bounds[c + 1], src_w, dst_w)};
      if (dst_cols.size() < 1) continue;
      const Span src_rows = hull(processor.source_rows(dst_rows), validity_span(src_h, dst_h, dst_rows));
      const Span src_cols = hull(processor.source_cols(dst_cols), validity_span(src_w, dst_w, dst_cols));
      const RasterWindow window = source.read(src_rows, src_cols);

      for (int64_t y = dst_rows.begin; y < dst_rows.end; y += options.max_tile) {
        const Span tile_rows{y, std::min(y + options.max_tile, dst_rows.end)};
        const Span need_rows = processor.source_rows(tile_rows);
        for (int64_t x = dst_cols.begin; x < dst_cols.end; x += options.max_tile) {
          const Span tile_cols{x, std::min(x + options.max_tile, dst_cols.end)};
          const Span need_cols = processor.source_cols(tile_cols);
          // The part of the window the tile needs; rows are dimension 1 of the data, 0 of the mask.
          const auto needed = [&](const torch::Tensor& t, int64_t row_dim) {
            return t.slice(row_dim, need_rows.begin - src_rows.begin, need_rows.end - src_rows.begin)
                .slice(row_dim + 1, need_cols.begin - src_cols.begin, need_cols.end - src_cols.begin);
          };
          auto output =
              processor.process(needed(window.data, 1), needed(window.valid, 0), need_rows, need_cols, tile_rows, tile_cols);
          auto valid = resample_validity(window.valid, src_h, src_w, src_rows, src_cols, dst_h, dst_w, tile_rows,
                                         tile_cols);
          writer.write(tile_rows, tile_cols, output, valid);
          valid_pixels += valid.sum().item<int64_t>();
        }
      }
      done += static_cast<double>(dst_rows.size()) * static_cast<double>(dst_cols.size());
      if (options.progress && !options.progress(done / total, nullptr, options.progress_data)) {
        throw std::runtime_error("interrupted");
      }
    }
  }
  return valid_pixels;
}

}  // namespace geosr
