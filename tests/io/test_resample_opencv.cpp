// geosr's LibTorch resampler against cv::resize itself (INTER_AREA shrinking, INTER_CUBIC), on real
// NAIP imagery: the core cannot link OpenCV, so this is where the "same as OpenCV" claim is held.
#include <gtest/gtest.h>

#include <gdal_priv.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "geosr/core/resample/resample.hpp"
#include "test_support.hpp"

namespace {

using geosr::ResampleKernel;

// One band of a real NAIP tile as float32 in [0, 255] (OpenCV's imgcodecs is not linked here).
cv::Mat naip_band(const std::string& tile, int band) {
  const auto path = geosr::test::shared_data() / "naip-trees" / "images" / tile;
  GDALAllRegister();
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds) throw std::runtime_error("cannot open " + path.string());
  cv::Mat mat(ds->GetRasterYSize(), ds->GetRasterXSize(), CV_32F);
  if (ds->GetRasterBand(band)->RasterIO(GF_Read, 0, 0, mat.cols, mat.rows, mat.data, mat.cols, mat.rows,
                                        GDT_Float32, 0, 0) != CE_None) {
    throw std::runtime_error("cannot read " + path.string());
  }
  return mat;
}

torch::Tensor to_tensor(const cv::Mat& m) {
  return torch::from_blob(m.data, {m.rows, m.cols}, torch::kFloat32).clone();
}

double max_diff_vs_opencv(const cv::Mat& src, ResampleKernel kernel, int out_h, int out_w) {
  cv::Mat expected;
  cv::resize(src, expected, cv::Size(out_w, out_h), 0, 0,
             kernel == ResampleKernel::Area ? cv::INTER_AREA : cv::INTER_CUBIC);
  const auto got = geosr::resample(to_tensor(src), kernel, out_h, out_w);
  EXPECT_EQ(got.size(0), out_h);
  EXPECT_EQ(got.size(1), out_w);
  return (got - to_tensor(expected)).abs().max().item<double>();
}

struct Shape {
  int h, w;  // source crop
  int out_h, out_w;
};

class MatchesOpenCV : public ::testing::TestWithParam<Shape> {
 protected:
  static void SetUpTestSuite() { band_ = new cv::Mat(naip_band("chico_2018_0.tif", 1)); }
  static void TearDownTestSuite() { delete band_; }
  static cv::Mat* band_;
};
cv::Mat* MatchesOpenCV::band_ = nullptr;

TEST_P(MatchesOpenCV, Cubic) {
  const Shape s = GetParam();
  const cv::Mat src = (*band_)(cv::Rect(3, 5, s.w, s.h)).clone();
  EXPECT_LE(max_diff_vs_opencv(src, ResampleKernel::Cubic, s.out_h, s.out_w), 1e-4);
}

TEST_P(MatchesOpenCV, AreaShrink) {
  const Shape s = GetParam();
  const cv::Mat src = (*band_)(cv::Rect(3, 5, s.w, s.h)).clone();
  // Area only shrinks: swap the roles of source and destination where the case enlarges.
  const cv::Mat big = s.out_h >= s.h ? (*band_)(cv::Rect(0, 0, s.out_w, s.out_h)).clone() : src;
  const int oh = s.out_h >= s.h ? s.h : s.out_h;
  const int ow = s.out_h >= s.h ? s.w : s.out_w;
  EXPECT_LE(max_diff_vs_opencv(big, ResampleKernel::Area, oh, ow), 1e-4);
}

// Integer scales (2, 4, 5 both ways), non-integer ratios, unequal axis ratios, tiny sizes.
INSTANTIATE_TEST_SUITE_P(Scales, MatchesOpenCV,
                         ::testing::Values(Shape{50, 50, 250, 250}, Shape{250, 250, 50, 50}, Shape{64, 64, 128, 128},
                                           Shape{128, 128, 32, 32}, Shape{51, 37, 127, 91}, Shape{127, 91, 51, 37},
                                           Shape{100, 80, 33, 60}, Shape{33, 60, 100, 80}, Shape{3, 2, 17, 11},
                                           Shape{17, 11, 3, 2}, Shape{200, 240, 199, 7}));

TEST(DegradeVsOpenCV, AreaThenCubicCondition) {
  // The training degradation and the inference condition, composed as the paper does it.
  const cv::Mat hr = naip_band("claremont_2018_10.tif", 4);
  cv::Mat lr, cond;
  cv::resize(hr, lr, cv::Size(256 / 4, 256 / 4), 0, 0, cv::INTER_AREA);
  cv::resize(lr, cond, cv::Size(256, 256), 0, 0, cv::INTER_CUBIC);
  const auto our_lr = geosr::degrade(to_tensor(hr).unsqueeze(0), 4);
  const auto our_cond = geosr::condition_from_lr(our_lr, 256, 256);
  EXPECT_LE((our_lr.squeeze(0) - to_tensor(lr)).abs().max().item<double>(), 1e-4);
  EXPECT_LE((our_cond.squeeze(0) - to_tensor(cond)).abs().max().item<double>(), 1e-4);
  // A non-dividing size: degrade keeps only the covered pixels, i.e. OpenCV on the cropped image.
  const cv::Mat odd = hr(cv::Rect(0, 0, 203, 198)).clone();
  cv::Mat odd_lr;
  cv::resize(odd(cv::Rect(0, 0, 200, 195)), odd_lr, cv::Size(40, 39), 0, 0, cv::INTER_AREA);
  EXPECT_LE((geosr::degrade(to_tensor(odd), 5) - to_tensor(odd_lr)).abs().max().item<double>(), 1e-4);
}

TEST(MaskedCubicVsOpenCV, NoDataDoesNotBleedIntoTheDataBesideIt) {
  // A NAIP band with a ragged hole of NoData, filled with a value far outside the data.
  const cv::Mat band = naip_band("chico_2018_0.tif", 2)(cv::Rect(10, 20, 60, 50)).clone();
  cv::Mat mask(band.size(), CV_32F, cv::Scalar(1.0f));
  for (int r = 12; r < 31; ++r)
    for (int c = 15 + r % 4; c < 41 - r % 3; ++c) mask.at<float>(r, c) = 0.0f;
  const auto valid = to_tensor(mask) > 0.5;
  const auto masked = [&](float fill) {
    const auto src = torch::where(valid, to_tensor(band), torch::full({}, fill));
    return geosr::masked_resample_block(src, valid, ResampleKernel::Cubic, 50, 60, {0, 50}, {0, 60}, 250, 300,
                                        {0, 250}, {0, 300});
  };
  // The reference: normalised convolution written with cv::resize, where taps were cut and enough
  // weight is left on data; OpenCV's plain resize elsewhere.
  cv::Mat weight, weighted, plain;
  cv::resize(mask, weight, cv::Size(300, 250), 0, 0, cv::INTER_CUBIC);
  cv::resize(band.mul(mask), weighted, cv::Size(300, 250), 0, 0, cv::INTER_CUBIC);
  const auto w = to_tensor(weight);
  const auto cut = ((w - 1.0).abs() > 1e-4).logical_and(w > 0.25);
  const auto got = masked(1000.0f);
  // Plain resize of the filled band: what the data beside the hole used to get.
  cv::Mat filled = band.clone();
  filled.setTo(1000.0f, mask < 0.5);
  cv::resize(filled, plain, cv::Size(300, 250), 0, 0, cv::INTER_CUBIC);
  const auto expected = torch::where(cut, to_tensor(weighted) / w, to_tensor(plain));
  EXPECT_LE((got - expected).abs().max().item<double>(), 1e-3);
  EXPECT_GT(cut.sum().item<int64_t>(), 500) << "the hole's rim is reweighted";
  // Output pixels over data at the hole's rim: the fill no longer matters there; the plain resize
  // would have been far off.
  const auto rim = torch::repeat_interleave(torch::repeat_interleave(valid, 5, 0), 5, 1).logical_and(cut);
  EXPECT_LE((got - masked(-500.0f)).index({rim}).abs().max().item<double>(), 1e-3);
  EXPECT_GT((to_tensor(plain) - got).index({rim}).abs().max().item<double>(), 50.0);
}

}  // namespace
