// Block-wise resampling must reproduce the whole-image resize exactly, for any cut, with the halo
// that source_span reports; and that halo must be the smallest that works.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <tuple>
#include <vector>

#include "geosr/core/resample/resample.hpp"

namespace {

using geosr::ResampleKernel;
using geosr::Span;

torch::Tensor random_image(int64_t c, int64_t h, int64_t w, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::rand({c, h, w}, torch::kFloat64) * 255.0;
}

// Cuts [0, len) at the given interior points.
std::vector<Span> cut(int64_t len, std::vector<int64_t> points) {
  std::vector<Span> spans;
  int64_t begin = 0;
  for (int64_t p : points) {
    if (p > begin && p < len) {
      spans.push_back({begin, p});
      begin = p;
    }
  }
  spans.push_back({begin, len});
  return spans;
}

// Reassembles the resize of `image` to out_h x out_w from destination blocks, each computed
// from only its source_span of the image.
torch::Tensor blockwise(const torch::Tensor& image, ResampleKernel kernel, int64_t out_h, int64_t out_w,
                        const std::vector<Span>& row_blocks, const std::vector<Span>& col_blocks) {
  const int64_t h = image.size(-2);
  const int64_t w = image.size(-1);
  auto out = torch::full({image.size(0), out_h, out_w}, -1.0, image.options());
  for (const Span& rows : row_blocks) {
    for (const Span& cols : col_blocks) {
      const Span sr = geosr::source_span(kernel, h, out_h, rows);
      const Span sc = geosr::source_span(kernel, w, out_w, cols);
      const auto src = image.narrow(-2, sr.begin, sr.size()).narrow(-1, sc.begin, sc.size());
      out.narrow(-2, rows.begin, rows.size())
          .narrow(-1, cols.begin, cols.size())
          .copy_(geosr::resample_block(src, kernel, h, w, sr, sc, out_h, out_w, rows, cols));
    }
  }
  return out;
}

struct Case {
  ResampleKernel kernel;
  int64_t h, w, out_h, out_w;
};

class BlockwiseEqualsWhole : public ::testing::TestWithParam<Case> {};

TEST_P(BlockwiseEqualsWhole, AwkwardCuts) {
  const Case c = GetParam();
  const auto image = random_image(2, c.h, c.w, 7);
  const auto whole = geosr::resample(image, c.kernel, c.out_h, c.out_w);
  ASSERT_EQ(whole.sizes(), (std::vector<int64_t>{2, c.out_h, c.out_w}));
  const std::vector<std::vector<int64_t>> cuts = {{}, {1}, {c.out_h / 2}, {1, 2, 3, 5, 8, 13, 21}, {c.out_h - 1}};
  for (const auto& row_cut : cuts) {
    for (const auto& col_cut : cuts) {
      const auto blocks = blockwise(image, c.kernel, c.out_h, c.out_w, cut(c.out_h, row_cut), cut(c.out_w, col_cut));
      EXPECT_TRUE(torch::equal(blocks, whole)) << "max diff " << (blocks - whole).abs().max().item<double>();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, BlockwiseEqualsWhole,
    ::testing::Values(Case{ResampleKernel::Cubic, 1, 1, 5, 7}, Case{ResampleKernel::Cubic, 13, 17, 65, 85},
                      Case{ResampleKernel::Cubic, 31, 29, 97, 53}, Case{ResampleKernel::Cubic, 47, 41, 23, 19},
                      Case{ResampleKernel::Cubic, 2, 3, 2, 3}, Case{ResampleKernel::Area, 65, 85, 13, 17},
                      Case{ResampleKernel::Area, 97, 53, 31, 29}, Case{ResampleKernel::Area, 7, 11, 1, 1},
                      Case{ResampleKernel::Area, 37, 41, 37, 23}));

TEST(SourceSpan, MinimalAndSufficient) {
  for (auto kernel : {ResampleKernel::Cubic, ResampleKernel::Area}) {
    for (auto [src_len, dst_len] : std::vector<std::pair<int64_t, int64_t>>{{13, 65}, {97, 31}, {64, 16}, {29, 53}, {10, 10}}) {
      if (kernel == ResampleKernel::Area && dst_len > src_len) continue;
      for (Span dst : {Span{0, 1}, Span{0, dst_len}, Span{dst_len / 3, dst_len / 3 + 2}, Span{dst_len - 1, dst_len}}) {
        const Span span = geosr::source_span(kernel, src_len, dst_len, dst);
        const auto w = geosr::axis_weights(kernel, src_len, dst_len, dst, span);
        // Minimal: the first and last source samples of the span carry weight.
        EXPECT_GT(w.select(1, 0).abs().max().item<double>(), 0.0);
        EXPECT_GT(w.select(1, span.size() - 1).abs().max().item<double>(), 0.0);
        // Sufficient: over the whole source the weights are the same, zero outside the span.
        const auto full = geosr::axis_weights(kernel, src_len, dst_len, dst, {0, src_len});
        EXPECT_TRUE(torch::equal(full.narrow(1, span.begin, span.size()), w));
        EXPECT_NEAR(full.abs().sum().item<double>(), w.abs().sum().item<double>(), 1e-12);
        // One sample less on either side is refused.
        if (span.size() > 1) {
          EXPECT_THROW(geosr::axis_weights(kernel, src_len, dst_len, dst, {span.begin + 1, span.end}), std::runtime_error);
          EXPECT_THROW(geosr::axis_weights(kernel, src_len, dst_len, dst, {span.begin, span.end - 1}), std::runtime_error);
        }
      }
    }
  }
}

TEST(AxisWeights, RowsSumToOne) {
  // Cubic weights sum to one by construction; area weights too when no sub-1e-3 fragment is dropped.
  for (auto [kernel, src_len, dst_len] : std::vector<std::tuple<ResampleKernel, int64_t, int64_t>>{
           {ResampleKernel::Cubic, 17, 60}, {ResampleKernel::Cubic, 60, 17}, {ResampleKernel::Area, 60, 17},
           {ResampleKernel::Area, 100, 20}}) {
    const auto w = geosr::axis_weights(kernel, src_len, dst_len, {0, dst_len}, {0, src_len});
    EXPECT_LT((w.sum(1) - 1.0).abs().max().item<double>(), 1e-12);
  }
}

TEST(Degrade, IntegerScaleIsBlockMeanOfCoveredPixels) {
  const auto hr = random_image(3, 43, 38, 3).to(torch::kFloat32);
  const auto lr = geosr::degrade(hr, 4);
  ASSERT_EQ(lr.sizes(), (std::vector<int64_t>{3, 10, 9}));
  EXPECT_EQ(lr.scalar_type(), torch::kFloat32);
  // avg_pool2d drops the uncovered tail the same way.
  const auto expected = torch::avg_pool2d(hr.unsqueeze(0), 4).squeeze(0);
  EXPECT_LT((lr - expected).abs().max().item<double>(), 1e-4);
}

TEST(ConditionFromLr, KeepsConstantsAndShape) {
  const auto lr = torch::full({2, 1, 7, 5}, 42.5, torch::kFloat32);
  const auto cond = geosr::condition_from_lr(lr, 35, 25);
  ASSERT_EQ(cond.sizes(), (std::vector<int64_t>{2, 1, 35, 25}));
  EXPECT_LT((cond - 42.5).abs().max().item<double>(), 1e-4);
}

TEST(Resample, SameSizeIsIdentity) {
  const auto image = random_image(1, 9, 12, 5);
  for (auto kernel : {ResampleKernel::Cubic, ResampleKernel::Area}) {
    EXPECT_TRUE(torch::allclose(geosr::resample(image, kernel, 9, 12), image, 0.0, 1e-12));
  }
}

TEST(Resample, HalfPrecisionKeepsDtype) {
  const auto image = random_image(1, 16, 16, 9);
  const auto half = geosr::resample(image.to(torch::kBFloat16), ResampleKernel::Cubic, 40, 40);
  EXPECT_EQ(half.scalar_type(), torch::kBFloat16);
  const auto ref = geosr::resample(image, ResampleKernel::Cubic, 40, 40);
  EXPECT_LT((half.to(torch::kFloat64) - ref).abs().max().item<double>(), 2.0);  // bf16 has ~3 digits
}

TEST(Resample, BadInputThrows) {
  const auto image = random_image(1, 8, 8, 1);
  EXPECT_THROW(geosr::resample(image, ResampleKernel::Area, 16, 8), std::runtime_error);
  EXPECT_THROW(geosr::resample(image, ResampleKernel::Cubic, 0, 8), std::runtime_error);
  EXPECT_THROW(geosr::resample(image.to(torch::kInt32), ResampleKernel::Cubic, 4, 4), std::runtime_error);
  EXPECT_THROW(geosr::degrade(image, 9), std::runtime_error);
  EXPECT_THROW(geosr::degrade(image, 0), std::runtime_error);
  EXPECT_THROW(geosr::resample_block(image, ResampleKernel::Cubic, 8, 8, {0, 7}, {0, 8}, 4, 4, {0, 4}, {0, 4}),
               std::runtime_error);
}

}  // namespace
