// Segmentation training on a real NAIP tile with its real tree-crown labels: the sample the
// trainer sees, a tiny network overfitting the tile (fixed seed, CPU), and --resume continuing a
// run to the same weights.

#include <gtest/gtest.h>

#include "geosr/core/network/module_tensors.hpp"
#include "geosr/core/segmentation/seg_trainer.hpp"
#include "geosr/seg/seg_samples.hpp"
#include "test_support.hpp"

namespace {

using namespace geosr;

std::string tile() { return (test::samples() / "naip_riverside_2018_0.tif").string(); }
std::string crowns() { return (test::samples() / "labels" / "naip_riverside_2018_0.json").string(); }

std::shared_ptr<const std::vector<SegSample>> one_tile() {
  return std::make_shared<const std::vector<SegSample>>(
      std::vector<SegSample>{load_seg_sample(tile(), crowns(), {1, 2, 3}, LabelOptions{})});
}

SegModel tiny_model(const std::vector<SegSample>& samples) {
  torch::manual_seed(0);
  SegNetConfig config;
  config.width = 8;
  config.decoder_channels = {32, 16, 16, 8, 8};
  SegModel model;
  model.net = SegNet(config);
  std::tie(model.mean, model.std) = band_statistics(samples);
  return model;
}

SegTrainOptions tiny_options() {
  SegTrainOptions options;
  options.patch = 64;
  options.batch = 8;
  options.patches_per_epoch = 128;
  options.seed = 5;
  return options;
}

TEST(SegSamples, TileAndCrownsOnItsGrid) {
  const SegSample s = load_seg_sample(tile(), crowns(), {1, 2, 3}, LabelOptions{});
  EXPECT_EQ(s.name, "naip_riverside_2018_0");
  ASSERT_EQ(s.image.sizes(), (std::vector<int64_t>{3, 256, 256}));
  EXPECT_GT(s.image.max().item<float>(), 100.0f) << "file values, not a model range";
  const double trees = (s.labels == 1).sum().item<double>();
  EXPECT_EQ((s.labels < 0).sum().item<int64_t>(), 0) << "no NoData in the tile";
  EXPECT_GT(trees, 500.0);
  EXPECT_LT(trees, 0.5 * 256 * 256);
  const SegSample bare = load_seg_sample(tile(), "", {1, 2, 3}, LabelOptions{});
  EXPECT_EQ(bare.labels.abs().sum().item<int64_t>(), 0) << "no label file: background";
  EXPECT_EQ(find_label_file(tile(), (test::samples() / "labels").string()), crowns());
  EXPECT_EQ(find_label_file(tile(), test::samples().string()), "");
}

TEST(SegTrainer, TinyNetworkOverfitsOneLabelledTile) {
  const auto data = one_tile();
  SegModel model = tiny_model(*data);
  SlidingOptions sliding;
  sliding.window = 64;
  const double before = evaluate_segmentation(model, *data, sliding, torch::kCPU).classes[1].iou;
  SegTrainer trainer(model, data, tiny_options());
  for (int epoch = 0; epoch < 40; ++epoch) trainer.train_epoch();
  const double iou = evaluate_segmentation(trainer.model(), *data, sliding, torch::kCPU).classes[1].iou;
  std::cout << "tree IoU " << before << " -> " << iou << " after " << trainer.epoch() << " epochs\n";
  // Crowns are 2.5-pixel disks at tree centres, from RGB alone: 640 steps of a 8-channel network take
  // the IoU from chance (about 0.02 here) to about 0.18 on this machine.
  EXPECT_GT(iou, 0.12);
  EXPECT_GT(iou, 4 * before);
}

TEST(SegTrainer, ResumeContinuesToTheSameWeights) {
  const auto data = one_tile();
  const auto dir = test::scratch("seg_resume");
  SegTrainer straight(tiny_model(*data), data, tiny_options());
  for (int i = 0; i < 3; ++i) straight.train_epoch();

  SegTrainer first(tiny_model(*data), data, tiny_options());
  first.train_epoch();
  first.train_epoch();
  first.save((dir / "model.safetensors").string());
  SegTrainer resumed(tiny_model(*data), data, tiny_options());
  resumed.resume((dir / "model.safetensors").string());
  EXPECT_EQ(resumed.epoch(), 2);
  EXPECT_NEAR(resumed.learning_rate(), 0.01 * 0.97 * 0.97, 1e-12);
  resumed.train_epoch();

  const auto a = module_tensors(*straight.model().net), b = module_tensors(*resumed.model().net);
  double worst = 0;
  for (const auto& [name, tensor] : a) worst = std::max(worst, (tensor.to(torch::kFloat64) - b.at(name).to(torch::kFloat64)).abs().max().item<double>());
  EXPECT_LT(worst, 1e-5);
  EXPECT_THROW(resumed.resume((dir / "absent.safetensors").string()), std::runtime_error);
}

}  // namespace
