// The segmentation network (torchvision ResNet layout and sizes) and the paper's Gaussian-weighted
// sliding prediction (Eq. 16-17) on real NAIP tiles: equal to a direct computation, the same when
// predicted band by band, any scene size, and free of the seams that plain tiling leaves.

#include <gtest/gtest.h>

#include <cmath>

#include "geosr/core/segmentation/seg_model.hpp"
#include "geosr/core/segmentation/seg_net.hpp"
#include "geosr/core/segmentation/sliding_prediction.hpp"
#include "geosr/io/raster_source.hpp"
#include "test_support.hpp"

namespace {

using namespace geosr;

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

// RGB of a bundled NAIP tile (256 x 256) in [0, 1].
torch::Tensor naip_rgb(int index) {
  const RasterSource source((test::samples() / ("naip_riverside_2018_" + std::to_string(index) + ".tif")).string(),
                            {1, 2, 3});
  return source.read_values({0, 256}, {0, 256}).data / 255.0;
}

SegNet small_net(int64_t classes = 2) {
  torch::manual_seed(3);
  SegNetConfig config;
  config.width = 8;
  config.classes = classes;
  config.decoder_channels = {32, 16, 16, 8, 8};
  SegNet net(config);
  net->eval();
  return net;
}

TEST(SegNet, EncoderHasTorchvisionNamesAndSizes) {
  SegNetConfig config;
  // torchvision's resnet18 and resnet50 without their fully connected layer.
  for (const auto& [depth, parameters] : {std::pair<int64_t, int64_t>{18, 11176512}, {50, 23508032}}) {
    config.depth = depth;
    SegNet net(config);
    int64_t encoder = 0;
    for (const auto& p : net->named_parameters())
      if (p.key().rfind("encoder.", 0) == 0) encoder += p.value().numel();
    EXPECT_EQ(encoder, parameters) << "resnet" << depth;
    const auto names = net->named_parameters();
    EXPECT_TRUE(names.contains("encoder.conv1.weight"));
    EXPECT_TRUE(names.contains("encoder.layer2.0.downsample.0.weight"));
    EXPECT_TRUE(names.contains("encoder.layer4.1.bn2.bias"));
    EXPECT_TRUE(net->named_buffers().contains("encoder.layer1.0.bn1.running_mean"));
  }
}

TEST(SegNet, LogitsHaveTheInputSizeAndSidesMustBeMultiplesOf32) {
  SegNet net = small_net(3);
  torch::NoGradGuard no_grad;
  const auto x = naip_rgb(0).slice(1, 0, 64).slice(2, 0, 96).unsqueeze(0).repeat({2, 1, 1, 1});
  EXPECT_EQ(net->forward(x).sizes(), (std::vector<int64_t>{2, 3, 64, 96}));
  EXPECT_THROW(net->forward(x.slice(2, 0, 48)), std::runtime_error);
  SegNetConfig bad;
  bad.depth = 20;
  EXPECT_THROW(SegNet{bad}, std::runtime_error);
  EXPECT_EQ(SegNetConfig::from_json(net->config().to_json()).to_json(), net->config().to_json());
}

TEST(SlidingPrediction, GaussianWeightsAndWindowGrid) {
  const auto w = gaussian_window(128, 32.0);
  EXPECT_FLOAT_EQ(w[64][64].item<float>(), 1.0f);
  EXPECT_NEAR(w[0][0].item<float>(), std::exp(-4.0), 1e-7);  // (64^2 + 64^2) / (2 * 32^2) = 4
  EXPECT_NEAR(w[64][96].item<float>(), std::exp(-0.5), 1e-7);
  EXPECT_EQ(window_starts(256, 128, 32), (std::vector<int64_t>{0, 32, 64, 96, 128}));
  EXPECT_EQ(window_starts(300, 128, 32), (std::vector<int64_t>{0, 32, 64, 96, 128, 160, 172}));
  EXPECT_EQ(window_starts(100, 128, 32), (std::vector<int64_t>{0}));
}

TEST(SlidingPrediction, EqualsADirectComputationAndBlocksEqualTheWhole) {
  SegNet net = small_net();
  const WindowClassifier classify = seg_classifier(net, torch::kCPU);
  const auto scene = naip_rgb(1).slice(1, 0, 150).slice(2, 0, 230);  // not a multiple of the stride
  SlidingOptions options;
  options.window = 64;
  options.stride = 16;
  options.batch = 7;
  SlidingPredictor predictor(classify, 150, 230, options);
  const auto whole = predictor.predict(scene, {0, 150});
  ASSERT_EQ(whole.sizes(), (std::vector<int64_t>{2, 150, 230}));

  // Eq. 16-17 written out: every window alone, weighted by the Gaussian, in double precision.
  const auto weight = gaussian_window(64, 16.0).to(torch::kFloat64);
  auto sum = torch::zeros({2, 150, 230}, torch::kFloat64), norm = torch::zeros({150, 230}, torch::kFloat64);
  for (int64_t y : window_starts(150, 64, 16))
    for (int64_t x : window_starts(230, 64, 16)) {
      const auto p = classify(scene.slice(1, y, y + 64).slice(2, x, x + 64).unsqueeze(0))[0].to(torch::kFloat64);
      sum.slice(1, y, y + 64).slice(2, x, x + 64) += p * weight;
      norm.slice(0, y, y + 64).slice(1, x, x + 64) += weight;
    }
  const auto direct = (sum / norm).to(torch::kFloat32);
  EXPECT_LT((whole - direct).abs().max().item<double>(), 1e-5);
  EXPECT_LT((whole.sum(0) - 1).abs().max().item<double>(), 1e-5);

  std::vector<torch::Tensor> bands;
  for (const Span rows : {Span{0, 37}, Span{37, 100}, Span{100, 150}}) {
    const Span in = predictor.input_rows(rows);
    EXPECT_LE(in.begin, rows.begin);
    EXPECT_GE(in.end, rows.end);
    bands.push_back(predictor.predict(scene.slice(1, in.begin, in.end), rows));
  }
  EXPECT_LT((torch::cat(bands, 1) - whole).abs().max().item<double>(), 1e-5);
}

TEST(SlidingPrediction, ScenesSmallerThanAWindowArePredictedWhole) {
  SegNet net = small_net();
  SlidingOptions options;
  options.window = 64;
  SlidingPredictor predictor(seg_classifier(net, torch::kCPU), 40, 70, options);
  EXPECT_EQ(predictor.windows(), 2);  // one row of windows, two across
  const auto p = predictor.predict(naip_rgb(0).slice(1, 0, 40).slice(2, 0, 70), {0, 40});
  ASSERT_EQ(p.sizes(), (std::vector<int64_t>{2, 40, 70}));
  EXPECT_TRUE(torch::isfinite(p).all().item<bool>());
  EXPECT_LT((p.sum(0) - 1).abs().max().item<double>(), 1e-5);
  EXPECT_THROW(SlidingPredictor(seg_classifier(net, torch::kCPU), 40, 70, SlidingOptions{100, 32}), std::runtime_error);
}

// Mean jump of the probability across the columns where tiles meet, over the mean jump elsewhere.
double seam_ratio(const torch::Tensor& p, int64_t window) {
  const auto jumps = (p[1].slice(1, 1) - p[1].slice(1, 0, -1)).abs().mean(0);  // jumps[c]: between c and c+1
  std::vector<int64_t> edges;
  for (int64_t c = window - 1; c + 1 < p.size(2); c += window) edges.push_back(c);
  const auto at_edges = jumps.index({torch::tensor(edges)}).mean().item<double>();
  return at_edges / jumps.mean().item<double>();
}

TEST(SlidingPrediction, NoSeamsWhereTilesWouldShowThem) {
  SegNet net = small_net();
  const auto scene = naip_rgb(1);
  SlidingOptions tiles;
  tiles.window = 64;
  tiles.stride = 64;  // side by side: the plain tiling the paper warns against
  SlidingOptions sliding = tiles;
  sliding.stride = 16;
  const auto tiled = SlidingPredictor(seg_classifier(net, torch::kCPU), 256, 256, tiles).predict(scene, {0, 256});
  const auto smooth = SlidingPredictor(seg_classifier(net, torch::kCPU), 256, 256, sliding).predict(scene, {0, 256});
  const double tiled_ratio = seam_ratio(tiled, 64), sliding_ratio = seam_ratio(smooth, 64);
  EXPECT_GT(tiled_ratio, 2.0);
  EXPECT_LT(sliding_ratio, 1.5);
  std::cout << "seam ratio: tiles " << tiled_ratio << ", sliding " << sliding_ratio << "\n";
}

}  // namespace
