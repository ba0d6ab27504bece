// Counter-based noise: Philox known answers, keying, independence of how the work is cut, and
// the statistics of the normals.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "geosr/core/diffusion/noise.hpp"

namespace geosr {
namespace {

using torch::indexing::Slice;

TEST(Philox, MatchesTheRandom123KnownAnswers) {
  // Known-answer vectors published with Random123 (kat_vectors, philox4x32 with 10 rounds).
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (PhiloxCounter{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  EXPECT_EQ(philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                          {0xffffffffu, 0xffffffffu}),
            (PhiloxCounter{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
  EXPECT_EQ(philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                          {0xa4093822u, 0x299f31d0u}),
            (PhiloxCounter{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
}

TEST(WindowNoise, SameKeySameBitsDifferentKeyDifferentNoise) {
  const auto a = window_noise(7, 3, 384, 768, 3, 64);
  ASSERT_EQ(a.sizes(), (std::vector<int64_t>{3, 64, 64}));
  EXPECT_TRUE(torch::equal(a, window_noise(7, 3, 384, 768, 3, 64)));
  // Changing any part of the key gives unrelated noise.
  for (const auto& other : {window_noise(8, 3, 384, 768, 3, 64), window_noise(7, 4, 384, 768, 3, 64),
                            window_noise(7, 3, 385, 768, 3, 64), window_noise(7, 3, 384, 769, 3, 64)}) {
    const double corr = (a * other).mean().item<double>();
    EXPECT_LT(std::abs(corr), 6.0 / std::sqrt(double(a.numel())));
  }
  // A window with fewer channels is a prefix of the same stream: the channel is part of the key.
  EXPECT_TRUE(torch::equal(window_noise(7, 3, 384, 768, 1, 64), a.index({Slice(0, 1)})));
}

TEST(WindowNoise, DoesNotDependOnTheThreadCount) {
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const auto one = window_noise(11, 0, 0, 0, 3, 128);
  const auto px_one = pixel_noise(11, 5, 2, {3, 5, 100, 77});
  at::set_num_threads(2);
  EXPECT_TRUE(torch::equal(one, window_noise(11, 0, 0, 0, 3, 128)));
  EXPECT_TRUE(torch::equal(px_one, pixel_noise(11, 5, 2, {3, 5, 100, 77})));
  at::set_num_threads(threads);
}

TEST(PixelNoise, APixelGetsTheSameValueInAnyRegion) {
  const Region big{10, 13, 90, 131};
  const auto whole = pixel_noise(5, 2, 3, big);
  // Sub-regions starting at every alignment modulo the 4-value Philox block.
  for (int64_t dx = 0; dx < 5; ++dx) {
    const Region part{20, 13 + dx, 37, 13 + dx + 41};
    const auto sub = pixel_noise(5, 2, 3, part);
    EXPECT_TRUE(torch::equal(sub, whole.index({Slice(), Slice(10, 27), Slice(dx, dx + 41)})));
  }
  // The initial noise is its own stream: same region, unrelated values.
  const auto init = initial_noise(5, 3, big);
  EXPECT_TRUE(torch::equal(init, initial_noise(5, 3, big)));
  EXPECT_LT(std::abs((init * whole).mean().item<double>()), 6.0 / std::sqrt(double(init.numel())));
  EXPECT_FALSE(torch::equal(pixel_noise(5, 3, 3, big), whole));
}

TEST(Noise, IsStandardNormal) {
  // 3 x 512 x 512 values; tolerances are 6 standard errors of each estimator.
  const auto z = window_noise(2024, 17, 0, 0, 3, 512).to(torch::kFloat64);
  const double n = double(z.numel());
  const double mean = z.mean().item<double>();
  const double var = z.var().item<double>();
  EXPECT_LT(std::abs(mean), 6.0 / std::sqrt(n));
  EXPECT_LT(std::abs(var - 1.0), 6.0 * std::sqrt(2.0 / n));
  // Fourth moment 3 (normal, not uniform or truncated): Var of z^4 estimator is 96/n.
  const double kurt = (z.pow(4)).mean().item<double>();
  EXPECT_LT(std::abs(kurt - 3.0), 6.0 * std::sqrt(96.0 / n));
  // Tail mass beyond 3 sigma: 0.0027.
  const double tail = (z.abs() > 3.0).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(tail, 0.0026998, 6.0 * std::sqrt(0.0027 / n));
  // Neighbouring values (same Philox block and across blocks) are uncorrelated.
  const auto flat = z.flatten();
  for (int64_t lag : {1, 2, 3, 4, 512}) {
    const double c = (flat.index({Slice(0, -lag)}) * flat.index({Slice(lag, torch::indexing::None)})).mean().item<double>();
    EXPECT_LT(std::abs(c), 6.0 / std::sqrt(n)) << "lag " << lag;
  }
}

TEST(Noise, RejectsKeysOutsideTheCounter) {
  EXPECT_THROW(window_noise(1, -1, 0, 0, 1, 8), std::runtime_error);
  EXPECT_THROW(window_noise(1, 0, int64_t{1} << 33, 0, 1, 8), std::runtime_error);
}

}  // namespace
}  // namespace geosr
