#pragma once
// read -> process -> write, block by block. The input is walked in chunks made of whole natural
// blocks of the file (so GDAL decodes each block about once); each chunk's share of the output is
// computed from the chunk plus whatever halo the processor asks for, in output tiles of bounded
// size, and written to the COG writer. Processors plug in here: bicubic now, diffusion later.

#include <cstdint>

#include <gdal.h>
#include <torch/torch.h>

#include "geosr/core/resample/resample.hpp"

namespace geosr {

class RasterSource;
class RasterWriter;

class BlockProcessor {
 public:
  virtual ~BlockProcessor() = default;
  // Input rows / columns that output rows / columns `dst` depend on, halo included, clipped to the input.
  virtual Span source_rows(Span dst) const = 0;
  virtual Span source_cols(Span dst) const = 0;
  // Output block (bands, dst_rows.size(), dst_cols.size()) from the input block `src`
  // (bands, src_rows.size(), src_cols.size()), which covers at least the spans asked for above, and
  // its validity `valid` (src_rows.size(), src_cols.size()).
  virtual torch::Tensor process(const torch::Tensor& src, const torch::Tensor& valid, Span src_rows, Span src_cols,
                                Span dst_rows, Span dst_cols) = 0;
};

// OpenCV-compatible resize of the whole raster (geosr::masked_resample_block: NoData does not bleed
// into the data beside it), computed block-wise.
class ResampleProcessor : public BlockProcessor {
 public:
  ResampleProcessor(ResampleKernel kernel, int64_t src_h, int64_t src_w, int64_t dst_h, int64_t dst_w);
  Span source_rows(Span dst) const override;
  Span source_cols(Span dst) const override;
  torch::Tensor process(const torch::Tensor& src, const torch::Tensor& valid, Span src_rows, Span src_cols,
                        Span dst_rows, Span dst_cols) override;

 private:
  ResampleKernel kernel_;
  int64_t src_h_, src_w_, dst_h_, dst_w_;
};

// Validity of output pixels dst_rows x dst_cols of a src -> dst resize, from the input validity
// `valid` (bool) of rows src_rows x cols src_cols. Enlarging, an output pixel takes the validity of
// the input pixel under its centre (floor(x / s) for an integer factor s); shrinking, it is valid
// only if every input pixel of its footprint is.
torch::Tensor resample_validity(const torch::Tensor& valid, int64_t src_h, int64_t src_w, Span src_rows,
                                Span src_cols, int64_t dst_h, int64_t dst_w, Span dst_rows, Span dst_cols);

// Input span the validity of output span `dst` depends on.
Span validity_span(int64_t src_len, int64_t dst_len, Span dst);

struct PipelineOptions {
  int64_t chunk_target = 256;    // input chunk side, rounded up to whole natural blocks
  int64_t max_tile = 1024;       // largest output tile side computed at once
  GDALProgressFunc progress = nullptr;
  void* progress_data = nullptr;
};

// Runs `processor` over the whole of `source` into `writer` (whose spec sets the output size).
// Returns the number of valid output pixels; does not commit the writer.
int64_t run_pipeline(const RasterSource& source, BlockProcessor& processor, RasterWriter& writer,
                     const PipelineOptions& options = {});

}  // namespace geosr
