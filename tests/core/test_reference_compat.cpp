// Checkpoints of the official Python implementations load and give the same forward pass.
// tests/python/sr3_reference_unet.py builds the reference U-Net in Debian's PyTorch, saves a fake
// SR3 `*_gen.pth` and a fake InfScene-SR Lightning `.ckpt` and a forward pass; the converter turns
// both into geosr model files.
#include <gtest/gtest.h>
#include <unistd.h>
#include <torch/torch.h>

#include "geosr/core/network/model_file.hpp"
#include "geosr/core/network/safetensors.hpp"
#include "test_support.hpp"

using namespace geosr;

namespace {

std::string python() { return GEOSR_PYTHON; }

class ReferenceCompat : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // ctest runs each test of this suite in its own process, in parallel: one directory each.
    dir_ = test::scratch("reference_" + std::to_string(::getpid()));
    const auto r = test::run_command(python() + " " + test::quote(test::source_dir() / "tests/python/sr3_reference_unet.py") +
                                     " " + test::quote(dir_));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  static test::CommandResult convert(const std::string& input, const std::string& output, const std::string& flags) {
    return test::run_command(python() + " " + test::quote(test::source_dir() / "tools/convert_checkpoint.py") + " " +
                             test::quote(dir_ / input) + " " + test::quote(dir_ / output) + " " + flags);
  }

  static void expect_same_forward(const std::string& model_file) {
    Metadata metadata;
    UNet model = load_model((dir_ / model_file).string(), &metadata);
    // The configuration was inferred from the weights (attention at 16 of 32, 2 blocks, x1,2,4).
    const UNetConfig& c = model->config();
    EXPECT_EQ(c.inner_channels, 16);
    EXPECT_EQ(c.channel_mults, (std::vector<int>{1, 2, 4}));
    EXPECT_EQ(c.res_blocks, 2);
    EXPECT_EQ(c.attn_res, (std::vector<int>{16}));
    EXPECT_EQ(c.norm_groups, 8);

    const auto reference = read_safetensors((dir_ / "forward.safetensors").string()).tensors;
    model->eval();
    torch::NoGradGuard no_grad;
    const auto out = model->forward(reference.at("x"), reference.at("noise_level"));
    const double diff = (out - reference.at("out")).abs().max().item<double>();
    std::printf("%s: max |C++ - PyTorch| = %.3g (output scale %.3g)\n", model_file.c_str(), diff,
                reference.at("out").abs().max().item<double>());
    EXPECT_LE(diff, 1e-4);
  }

  static std::filesystem::path dir_;
};
std::filesystem::path ReferenceCompat::dir_;

}  // namespace

TEST_F(ReferenceCompat, Sr3GeneratorCheckpoint) {
  const auto r = convert("sr3_gen.pth", "sr3.safetensors", "--norm-groups 8 --image-size 32");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2 other entries dropped"), std::string::npos) << r.output;  // betas, alphas_cumprod
  expect_same_forward("sr3.safetensors");
}

TEST_F(ReferenceCompat, InfSceneLightningCheckpoint) {
  const auto r = convert("infscene.ckpt", "infscene.safetensors", "--norm-groups 8 --image-size 32");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_same_forward("infscene.safetensors");
  Metadata metadata;
  load_model((dir_ / "infscene.safetensors").string(), &metadata);
  EXPECT_EQ(metadata.at("geosr.global_step"), "1200");
}

TEST_F(ReferenceCompat, Bf16ConversionStaysClose) {
  const auto r = convert("infscene.ckpt", "bf16.safetensors", "--norm-groups 8 --image-size 32 --dtype bf16");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  UNet model = load_model((dir_ / "bf16.safetensors").string());
  const auto reference = read_safetensors((dir_ / "forward.safetensors").string()).tensors;
  torch::NoGradGuard no_grad;
  model->eval();
  const auto out = model->forward(reference.at("x"), reference.at("noise_level"));
  // bf16 keeps 8 bits of mantissa: close, but not the 1e-4 of fp32.
  const auto scale = reference.at("out").abs().max().item<double>();
  EXPECT_LT((out - reference.at("out")).abs().max().item<double>(), 0.05 * scale);
}

TEST_F(ReferenceCompat, ConverterRejectsBadInput) {
  auto r = convert("forward.safetensors", "x.safetensors", "");  // not a torch checkpoint
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("convert_checkpoint:"), std::string::npos) << r.output;
  r = convert("sr3_gen.pth", "x.safetensors", "--norm-groups 7 --image-size 32");  // 7 does not divide 16
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("do not divide"), std::string::npos) << r.output;
  r = convert("sr3_gen.pth", "x.safetensors", "--norm-groups 8 --image-size 32 --attn-res 8");  // weights say 16
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("disagrees"), std::string::npos) << r.output;
}
