// FID and KID against NumPy/SciPy values (tests/python/eval_reference_values.py).
#include <gtest/gtest.h>

#include "eval_test_data.hpp"
#include "geosr/eval/feature_distances.hpp"

namespace {

using namespace geosr::eval;

TEST(Fid, GaussiansWithKnownMoments) {
  const auto ref = geosr::test::reference_values().get_child("fid_gaussians");
  const auto t = [&](const char* key) { return geosr::test::json_tensor(ref.get_child(key)); };
  const double fid = frechet_distance(t("mu1"), t("cov1"), t("mu2"), t("cov2"));
  EXPECT_NEAR(fid, ref.get<double>("fid"), 1e-8 * ref.get<double>("fid"));
  EXPECT_NEAR(frechet_distance(t("mu1"), t("cov1"), t("mu1"), t("cov1")), 0.0, 1e-9);
}

TEST(Fid, FixedFeaturesAsCleanFid) {
  const auto ref = geosr::test::reference_values().get_child("fid_features");
  const auto a = geosr::test::json_tensor(ref.get_child("a")), b = geosr::test::json_tensor(ref.get_child("b"));
  EXPECT_NEAR(frechet_distance(a, b), ref.get<double>("fid"), 1e-8 * ref.get<double>("fid"));
  EXPECT_NEAR(frechet_distance(a, a), 0.0, 1e-9);
}

TEST(Fid, RankDeficientCovariancesStayFinite) {
  // Fewer samples than dimensions, as with few windows and 2048-d features.
  torch::manual_seed(3);
  const auto a = torch::randn({10, 40}, torch::kFloat64), b = torch::randn({12, 40}, torch::kFloat64) + 0.1;
  const double fid = frechet_distance(a, b);
  EXPECT_TRUE(std::isfinite(fid));
  EXPECT_GT(fid, 0.0);
}

TEST(Kid, FullSubsetsMatchNumpyExactly) {
  const auto ref = geosr::test::reference_values().get_child("kid_features");
  const auto a = geosr::test::json_tensor(ref.get_child("a")), b = geosr::test::json_tensor(ref.get_child("b"));
  // Subsets as large as the sets are permutations of them: the unbiased MMD does not change.
  const auto kid = kernel_inception_distance(a, b, 100, 1000, 7);
  EXPECT_NEAR(kid.mean, ref.get<double>("kid"), 1e-10);
  EXPECT_LT(kid.std, 1e-10);
}

TEST(Kid, SubsetsAreSeededAndUnbiased) {
  const auto ref = geosr::test::reference_values().get_child("kid_features");
  const auto a = geosr::test::json_tensor(ref.get_child("a")), b = geosr::test::json_tensor(ref.get_child("b"));
  const auto k1 = kernel_inception_distance(a, b, 100, 20, 11), k2 = kernel_inception_distance(a, b, 100, 20, 11);
  EXPECT_EQ(k1.mean, k2.mean);
  EXPECT_GT(k1.std, 0.0);
  // 100 subsets: the mean lies within a few standard errors of the full-set value.
  EXPECT_NEAR(k1.mean, ref.get<double>("kid"), 4.0 * k1.std / 10.0);
  EXPECT_THROW(kernel_inception_distance(a, b.narrow(1, 0, 5)), std::runtime_error);
}

}  // namespace
