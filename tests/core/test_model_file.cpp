// Self-describing model files and the denoiser wrapper.
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "geosr/core/network/model_file.hpp"
#include "geosr/core/network/safetensors.hpp"
#include "test_support.hpp"

using namespace geosr;

namespace {

UNet tiny_model() {
  torch::manual_seed(11);
  UNetConfig c = UNetConfig::preset("tiny");
  c.attn_res = {32};
  return UNet(c);
}

std::string load_error(const std::filesystem::path& path) {
  try {
    load_model(path.string());
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ModelFile, RoundTripKeepsWeightsConfigAndMetadata) {
  const auto dir = test::scratch("roundtrip");
  UNet model = tiny_model();
  save_model((dir / "m.safetensors").string(), model, {{"geosr.train.steps", "1234"}, {"dataset", "naip"}});
  Metadata metadata;
  UNet back = load_model((dir / "m.safetensors").string(), &metadata);
  EXPECT_EQ(back->config().to_json(), model->config().to_json());
  EXPECT_EQ(metadata.at("geosr.train.steps"), "1234");
  EXPECT_EQ(metadata.at("dataset"), "naip");
  EXPECT_EQ(metadata.count("geosr.unet"), 0u);
  const auto a = model->named_parameters();
  const auto b = back->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& item : a) EXPECT_TRUE(torch::equal(item.value(), b[item.key()])) << item.key();

  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 6, 32, 32});
  const auto level = torch::tensor({0.3f, 0.7f});
  EXPECT_TRUE(torch::equal(model->forward(x, level), back->forward(x, level)));
}

TEST(ModelFile, IncompatibleFilesAreRejected) {
  const auto dir = test::scratch("bad");
  UNet model = tiny_model();
  const auto good = dir / "good.safetensors";
  save_model(good.string(), model);
  SafetensorsContent content = read_safetensors(good.string());

  EXPECT_NE(load_error(dir / "missing.safetensors").find("cannot open"), std::string::npos);

  write_safetensors((dir / "plain.safetensors").string(), content.tensors);
  EXPECT_NE(load_error(dir / "plain.safetensors").find("geosr.unet"), std::string::npos);

  auto fewer = content.tensors;
  fewer.erase("mid.0.attn.qkv.weight");
  write_safetensors((dir / "fewer.safetensors").string(), fewer, content.metadata);
  EXPECT_NE(load_error(dir / "fewer.safetensors").find("missing tensor mid.0.attn.qkv.weight"), std::string::npos);

  auto more = content.tensors;
  more["betas"] = torch::ones({10});
  write_safetensors((dir / "more.safetensors").string(), more, content.metadata);
  EXPECT_NE(load_error(dir / "more.safetensors").find("unexpected tensor betas"), std::string::npos);

  UNetConfig wider = model->config();
  wider.inner_channels = 32;  // the file's weights are 16 wide
  auto metadata = content.metadata;
  metadata["geosr.unet"] = wider.to_json();
  write_safetensors((dir / "shape.safetensors").string(), content.tensors, metadata);
  EXPECT_NE(load_error(dir / "shape.safetensors").find("has shape"), std::string::npos);

  metadata["geosr.unet"] = "{\"in_channels\": 6";
  write_safetensors((dir / "config.safetensors").string(), content.tensors, metadata);
  EXPECT_NE(load_error(dir / "config.safetensors").find("U-Net configuration"), std::string::npos);

  std::ifstream in(good, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), {}};
  std::ofstream(dir / "cut.safetensors", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_NE(load_error(dir / "cut.safetensors").find("truncated"), std::string::npos);
}

TEST(ModelFile, ConvertedHalfPrecisionWeightsLoad) {
  const auto dir = test::scratch("bf16");
  UNet model = tiny_model();
  save_model((dir / "m.safetensors").string(), model);
  SafetensorsContent content = read_safetensors((dir / "m.safetensors").string());
  for (auto& [name, t] : content.tensors) t = t.to(torch::kBFloat16);
  write_safetensors((dir / "bf16.safetensors").string(), content.tensors, content.metadata);
  UNet back = load_model((dir / "bf16.safetensors").string());
  const auto w = model->named_parameters()["downs.0.weight"];
  EXPECT_TRUE(torch::equal(back->named_parameters()["downs.0.weight"], w.to(torch::kBFloat16).to(torch::kFloat32)));
}

TEST(Denoiser, WrapsTheNetworkOnCpu) {
  UNet model = tiny_model();
  const auto condition = torch::randn({2, 3, 16, 24});
  const auto y = torch::randn({2, 3, 16, 24});
  const auto level = torch::tensor({0.1, 0.95}, torch::kFloat64);
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    model->eval();
    expected = model->forward(torch::cat({condition, y}, 1), level.to(torch::kFloat32));
  }
  // bf16 on a CPU falls back to fp32, so both agree with the plain forward pass.
  for (const auto precision : {Precision::Fp32, Precision::Bf16}) {
    const Denoiser denoise = make_denoiser(model, torch::kCPU, precision);
    const auto eps = denoise(condition, y, level);
    EXPECT_FALSE(eps.requires_grad());
    EXPECT_EQ(eps.scalar_type(), torch::kFloat32);
    EXPECT_TRUE(torch::allclose(eps, expected, 1e-6, 1e-6));
  }
  EXPECT_EQ(parse_precision("bf16"), Precision::Bf16);
  EXPECT_EQ(parse_precision("fp16"), Precision::Fp16);
  EXPECT_THROW(parse_precision("int8"), std::runtime_error);
}
