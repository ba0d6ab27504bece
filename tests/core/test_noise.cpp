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

TEST(Philox, TensorWordsAreTheScalarWords) {
  // The known answers, then counters with every word near its limits, in one broadcast call.
  const std::vector<std::pair<PhiloxCounter, PhiloxKey>> cases = {
      {{0, 0, 0, 0}, {0, 0}},
      {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu}},
      {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u}}};
  for (const auto& [counter, key] : cases) {
    PhiloxWords words;
    for (int i = 0; i < 4; ++i) words[i] = torch::tensor({int64_t{counter[i]}}, torch::kInt64);
    const PhiloxWords got = philox4x32_10(words, key);
    const PhiloxCounter expected = philox4x32_10(counter, key);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(got[i].item<int64_t>(), int64_t{expected[i]}) << "word " << i;
  }
  const auto low = torch::arange(0, 64, torch::kInt64);
  const auto high = int64_t{0xffffffff} - torch::arange(0, 64, torch::kInt64).view({64, 1});
  const PhiloxKey key{0x9E3779B9u, 0x7F4A7C15u};
  const PhiloxWords got = philox4x32_10({low, high, high * 0 + int64_t{0x80000000}, low.view({64, 1})}, key);
  for (int64_t i = 0; i < 64; i += 7)
    for (int64_t j = 0; j < 64; j += 5) {
      const PhiloxCounter expected = philox4x32_10(
          {static_cast<uint32_t>(j), static_cast<uint32_t>(0xffffffffll - i), 0x80000000u, static_cast<uint32_t>(i)},
          key);
      for (int w = 0; w < 4; ++w) ASSERT_EQ(got[w][i][j].item<int64_t>(), int64_t{expected[w]});
    }
}

TEST(WindowNoise, ABatchIsItsWindows) {
  const auto batch = window_noise(7, 3, {{384, 768}, {0, 0}, {96, 4000}}, 3, 32, torch::kCPU);
  ASSERT_EQ(batch.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
  EXPECT_TRUE(torch::equal(batch[0], window_noise(7, 3, 384, 768, 3, 32)));
  EXPECT_TRUE(torch::equal(batch[2], window_noise(7, 3, 96, 4000, 3, 32)));
}

TEST(WindowNoise, TensorOperationsDrawTheSameNoise) {
  // What an accelerator runs, here on the CPU: windows at the counter's limits, and a size whose
  // value count is not a multiple of the 4-value block.
  const std::vector<std::pair<int64_t, int64_t>> origins{{0, 0}, {384, 768}, {96, 40000}, {int64_t{1} << 31, 7}};
  for (const int64_t size : {int64_t{64}, int64_t{5}}) {
    const auto values = window_noise(21, 17, origins, 3, size, torch::kCPU);
    const auto tensors = window_noise_tensors(21, 17, origins, 3, size, torch::kCPU);
    ASSERT_EQ(tensors.sizes(), values.sizes());
    // The Philox words are integers; vectorised log/cos/sin may round the last float bit.
    EXPECT_LE((tensors - values).abs().max().item<double>(), 1e-5) << size;
    EXPECT_GE(torch::eq(tensors, values).to(torch::kFloat64).mean().item<double>(), 0.999) << size;
  }
  EXPECT_THROW(window_noise_tensors(21, 17, {}, 3, 8, torch::kCPU), std::runtime_error);
  EXPECT_THROW(window_noise_tensors(21, -1, origins, 3, 8, torch::kCPU), std::runtime_error);
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
