#pragma once
// Area downsampling and cubic upsampling with OpenCV's cv::resize semantics (INTER_AREA,
// INTER_CUBIC with a = -0.75, pixel-centre alignment, replicated borders), written as separable
// per-axis weight matrices over *global* coordinates. Because the weights depend only on the full
// source and destination sizes, any output block computed from a source block with enough halo
// equals the same block of the whole-image resize: the training degradation, the inference
// condition and the block-wise raster pipeline are all this one function.
//
// LibTorch only (the core has no OpenCV); the tests hold it against cv::resize.

#include <cstdint>

#include <torch/torch.h>

namespace geosr {

enum class ResampleKernel { Area, Cubic };

// A half-open range [begin, end) along one axis.
struct Span {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

// Source samples that destination samples [dst.begin, dst.end) depend on, clipped to the source.
Span source_span(ResampleKernel kernel, int64_t src_len, int64_t dst_len, Span dst);

// Weights (dst.size(), src.size()) taking source samples `src` to destination samples `dst`.
// `src` must contain source_span(kernel, src_len, dst_len, dst). Double precision.
torch::Tensor axis_weights(ResampleKernel kernel, int64_t src_len, int64_t dst_len, Span dst, Span src);

// Resamples the block `src_block` (..., h, w), which is the source rows `src_rows` and columns
// `src_cols` of a src_h x src_w image, to the destination rows `dst_rows` and columns `dst_cols`
// of the dst_h x dst_w resize. Float input; the result has the input's dtype.
torch::Tensor resample_block(const torch::Tensor& src_block, ResampleKernel kernel,
                             int64_t src_h, int64_t src_w, Span src_rows, Span src_cols,
                             int64_t dst_h, int64_t dst_w, Span dst_rows, Span dst_cols);

// resample_block for a block with NoData: `valid` (h, w) bool marks the samples that are data.
// Where invalid samples fall under an output sample's taps, the taps left are reweighted to sum to
// one (normalised convolution), so a fill value never bleeds into the data beside it; outputs
// with no invalid tap are resample_block's to the bit, and outputs with less than a quarter of
// their weight on data (NoData themselves, by the validity rule) keep its result.
torch::Tensor masked_resample_block(const torch::Tensor& src_block, const torch::Tensor& valid, ResampleKernel kernel,
                                    int64_t src_h, int64_t src_w, Span src_rows, Span src_cols,
                                    int64_t dst_h, int64_t dst_w, Span dst_rows, Span dst_cols);

// Whole-image resize of (..., h, w) to (..., out_h, out_w).
torch::Tensor resample(const torch::Tensor& image, ResampleKernel kernel, int64_t out_h, int64_t out_w);

// The SR3 condition: area downsample by `scale`, then cubic upsample back to the input size.
// Training pairs and inference conditions go through this one function.
torch::Tensor degrade(const torch::Tensor& hr, int64_t scale);            // (..., H/scale, W/scale)
torch::Tensor condition_from_lr(const torch::Tensor& lr, int64_t out_h, int64_t out_w);

}  // namespace geosr
