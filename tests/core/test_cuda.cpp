// The CUDA paths: the network, the scene sampler and a training step on the GPU agree with the CPU.
// Skipped where LibTorch has no CUDA device (CI); run on the GPU machine.

#include <gtest/gtest.h>

#include "geosr/core/canvas/scene_sampler.hpp"
#include "geosr/core/network/model_file.hpp"
#include "geosr/core/train/trainer.hpp"
#include "test_support.hpp"

namespace {

using namespace geosr;

class Cuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    // TF32 convolutions would turn a 1e-6 comparison into a 1e-3 one.
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
  }
};

UNet tiny(uint64_t seed) {
  torch::manual_seed(seed);
  return UNet(UNetConfig::preset("tiny", 3));
}

// A real NAIP chip, so activations have the statistics of imagery, not of noise.
torch::Tensor naip_condition() {
  const ChipDataset chips({(test::samples() / "chips" / "val.chips").string()});
  return chips.normalized(0).slice(1, 0, 80).slice(2, 0, 96);
}

TEST_F(Cuda, DenoiserMatchesTheCpu) {
  UNet model = tiny(1);
  const auto cpu = make_denoiser(model, torch::kCPU);
  const auto condition = naip_condition().unsqueeze(0).repeat({2, 1, 1, 1});
  const auto y = torch::randn(condition.sizes());
  const auto level = torch::tensor({0.3f, 0.9f});
  const auto expected = cpu(condition, y, level);
  UNet copy = tiny(1);
  const auto gpu = make_denoiser(copy, torch::kCUDA);
  const auto got = gpu(condition, y, level);
  ASSERT_TRUE(got.is_cuda());
  EXPECT_LT((got.cpu() - expected).abs().max().item<double>(), 1e-4);
  // bf16 autocast: same function within bf16's resolution, float32 result.
  UNet half = tiny(1);
  const auto bf16 = make_denoiser(half, torch::kCUDA, Precision::Bf16)(condition, y, level);
  EXPECT_EQ(bf16.scalar_type(), torch::kFloat32);
  EXPECT_LT((bf16.cpu() - expected).abs().max().item<double>(), 0.1);
}

TEST_F(Cuda, TheDenoiserChoosesItsConvolutionsWithoutTiming) {
  // A resumed run is another process: had cuDNN timed its algorithms there, it could pick others
  // than the interrupted process did and the output would differ in the last bits.
  at::globalContext().setBenchmarkCuDNN(true);
  UNet model = tiny(1);
  const auto gpu = make_denoiser(model, torch::kCUDA);
  EXPECT_FALSE(at::globalContext().benchmarkCuDNN());
  EXPECT_TRUE(at::globalContext().deterministicCuDNN());
  const auto condition = naip_condition().unsqueeze(0).repeat({2, 1, 1, 1});
  const auto y = torch::randn(condition.sizes());
  const auto level = torch::tensor({0.3f, 0.9f});
  EXPECT_TRUE(torch::equal(gpu(condition, y, level), gpu(condition, y, level)));
}

TEST_F(Cuda, SceneSamplerMatchesTheCpu) {
  const auto condition = naip_condition();
  const auto sampler = make_sampler(SamplerKind::Ddpm, NoiseSchedule::make(ScheduleKind::Linear).respaced(4));
  SceneSamplerOptions options;
  options.window = 32;
  options.stride = 24;
  options.batch = 4;
  options.seed = 11;
  UNet a = tiny(2), b = tiny(2);
  const auto cpu = sample_scene(make_denoiser(a, torch::kCPU), *sampler, condition, options);
  options.device = torch::kCUDA;
  const auto gpu = sample_scene(make_denoiser(b, torch::kCUDA), *sampler, condition, options);
  ASSERT_EQ(gpu.sizes(), cpu.sizes());
  EXPECT_FALSE(gpu.is_cuda()) << "the canvas stays on the host";
  EXPECT_GT(cpu.std().item<double>(), 0.05);
  EXPECT_LT((gpu - cpu).abs().max().item<double>(), 1e-3);
}

TEST_F(Cuda, TrainingStepsMatchTheCpu) {
  const auto chips = std::make_shared<const ChipDataset>(
      std::vector<std::string>{(test::samples() / "chips" / "train.chips").string()});
  const auto schedule = NoiseSchedule::make(ScheduleKind::Linear, 2000, 1e-6, 1e-2);
  TrainerOptions options;
  options.batch.batch_size = 4;
  options.batch.patch = 40;
  options.batch.scale = 5;
  options.lr = 1e-3;
  options.workers = 0;
  options.bf16 = false;
  Trainer cpu(tiny(3), schedule, chips, options);
  options.device = torch::kCUDA;
  Trainer gpu(tiny(3), schedule, chips, options);
  for (int i = 0; i < 5; ++i) {
    const double expected = cpu.step(), got = gpu.step();
    EXPECT_NEAR(got, expected, 1e-3 * std::max(1.0, std::abs(expected))) << "step " << i;
  }
  options.bf16 = true;
  Trainer mixed(tiny(3), schedule, chips, options);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(std::isfinite(mixed.step()));
}

}  // namespace
