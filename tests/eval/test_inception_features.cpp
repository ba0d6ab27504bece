// The FID/KID feature path with a small TorchScript network made by
// tests/python/make_test_inception.py (the real clean-fid Inception is not available here).
#include <gtest/gtest.h>

#include <cstdlib>

#include "eval_test_data.hpp"
#include "geosr/core/resample/resample.hpp"
#include "geosr/eval/inception_features.hpp"
#include "geosr/eval/windows.hpp"

namespace {

using namespace geosr::eval;

struct TestNet {
  std::filesystem::path model, expected;
};

const TestNet& test_net() {
  static const TestNet net = [] {
    // One directory per test: ctest runs the tests of this file as parallel processes.
    const auto dir = geosr::test::scratch(std::string("inception_") +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    TestNet n{dir / "net.pt", dir / "expected.json"};
    const auto r = geosr::test::run_command(std::string(GEOSR_PYTHON) + " " +
                                            geosr::test::quote(geosr::test::source_dir() / "tests" / "python" /
                                                               "make_test_inception.py") +
                                            " " + geosr::test::quote(n.model) + " " + geosr::test::quote(n.expected));
    if (r.exit_code != 0) throw std::runtime_error("make_test_inception.py failed: " + r.output);
    return n;
  }();
  return net;
}

torch::Tensor fixed_input() {
  return torch::remainder(torch::arange(5 * 3 * 299 * 299, torch::kInt64), 251).to(torch::kFloat32).view({5, 3, 299, 299});
}

TEST(InceptionFeatures, MatchPyTorchForAnyBatchSize) {
  boost::property_tree::ptree tree;
  boost::property_tree::read_json(test_net().expected.string(), tree);
  const auto expected = geosr::test::json_tensor(tree.get_child("features"));
  torch::Tensor first;
  for (int64_t batch : {1, 2, 5, 16}) {
    InceptionFeatures net(test_net().model.string(), torch::kCPU, batch);
    const auto got = net.extract(fixed_input());
    ASSERT_EQ(got.sizes(), expected.sizes());
    EXPECT_LT((got - expected).abs().max().item<double>(), 1e-5);
    if (!first.defined()) first = got;
    EXPECT_TRUE(torch::equal(got, first)) << "batch size " << batch;
  }
}

TEST(InceptionFeatures, WindowCountAndBandSelection) {
  // 449 x 524 at window 299, stride 75: rows 0, 75, 150; columns 0, 75, 150, 225.
  const auto tile = geosr::test::naip_tile("claremont_2018_3.tif");
  const auto scene = geosr::condition_from_lr(tile, 449, 524).clamp(0, 255);
  InceptionFeatures net(test_net().model.string(), torch::kCPU, 5);
  FeatureCollector collector(net);
  for_each_window(scene, scene, {}, WindowLayout{299, 75}, [&](const auto& r, const auto& c) {
    collector.add_window(r, c);
  });
  const auto features = collector.reference_features();
  EXPECT_EQ(features.size(0), 12);
  EXPECT_EQ(features.size(1), 16);
  EXPECT_TRUE(torch::equal(features, collector.candidate_features()));
  // The first window's features are those of its R, G, B bands (NIR dropped).
  const auto window = scene.narrow(0, 0, 3).narrow(1, 0, 299).narrow(2, 0, 299).unsqueeze(0);
  EXPECT_LT((net.extract(window)[0] - features[0]).abs().max().item<double>(), 1e-6);
  // NoData windows are skipped.
  auto valid = torch::ones({449, 524}, torch::kBool);
  valid[10][10] = false;
  int64_t n = 0;
  for_each_window(scene, scene, valid, WindowLayout{299, 75}, [&](const auto&, const auto&) { ++n; });
  EXPECT_EQ(n, 11);
}

TEST(InceptionFeatures, MissingFileSaysHowToGetIt) {
  unsetenv("GEOSR_INCEPTION");
  try {
    find_inception_file("/nonexistent/inception-2015-12-05.pt");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--inception"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/inception-2015-12-05.pt"), std::string::npos);
  }
  EXPECT_EQ(find_inception_file(test_net().model.string()), test_net().model.string());
}

}  // namespace
