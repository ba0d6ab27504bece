#include "geosr/core/diffusion/noise.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <ATen/Parallel.h>

#include "geosr/core/runtime.hpp"

namespace geosr {

namespace {

// Philox4x32's round multipliers and key increments; Box-Muller's constants.
constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
constexpr double kTwoPi = 6.283185307179586476925;
constexpr double kInv32 = 1.0 / 4294967296.0;

}  // namespace

PhiloxCounter philox4x32_10(PhiloxCounter c, PhiloxKey k) {
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t{kMul0} * c[0];
    const uint64_t p1 = uint64_t{kMul1} * c[2];
    c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
         static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
    k[0] += kWeyl0;
    k[1] += kWeyl1;
  }
  return c;
}

std::array<float, 4> normal4(const PhiloxCounter& counter, const PhiloxKey& key) {
  const PhiloxCounter r = philox4x32_10(counter, key);
  std::array<float, 4> out;
  for (int pair = 0; pair < 2; ++pair) {
    // +0.5 keeps u1 in (0, 1), so the logarithm is finite; the largest |z| is about 6.8.
    const double u1 = (r[2 * pair] + 0.5) * kInv32;
    const double u2 = (r[2 * pair + 1] + 0.5) * kInv32;
    const double radius = std::sqrt(-2.0 * std::log(u1));
    out[2 * pair] = static_cast<float>(radius * std::cos(kTwoPi * u2));
    out[2 * pair + 1] = static_cast<float>(radius * std::sin(kTwoPi * u2));
  }
  return out;
}

namespace {

// Each use of the generator has its own key, derived from the seed by a bijective mixer, so the
// streams never share counters' outputs for the same seed.
enum class Stream : uint64_t {
  Window = 0x57494E444F574E53ull,
  Pixel = 0x504958454C4E5345ull,
  Initial = 0x494E495449414C59ull,
};

PhiloxKey stream_key(uint64_t seed, Stream stream) {
  uint64_t z = seed ^ static_cast<uint64_t>(stream);  // splitmix64 finalizer: a bijection
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return {static_cast<uint32_t>(z), static_cast<uint32_t>(z >> 32)};
}

uint32_t word(int64_t value, const char* what) {
  if (value < 0 || value > 0xFFFFFFFFll)
    throw std::runtime_error(std::string("noise: ") + what + " " + std::to_string(value) +
                             " does not fit the 32-bit counter");
  return static_cast<uint32_t>(value);
}

// Fills row-major `n` values of the stream whose counter is (block, c1, c2, c3), element e coming
// from block e / 4, lane e % 4, starting at element `first`.
void fill_stream(float* out, int64_t first, int64_t n, const PhiloxKey& key, uint32_t c1,
                 uint32_t c2, uint32_t c3) {
  int64_t e = first;
  const int64_t end = first + n;
  while (e < end) {
    const int64_t block = e >> 2;
    const auto values = normal4({word(block, "block"), c1, c2, c3}, key);
    for (int64_t lane = e & 3; lane < 4 && e < end; ++lane, ++e) *out++ = values[lane];
  }
}

torch::Tensor region_noise(const PhiloxKey& key, int64_t step, int64_t channels,
                           const Region& region) {
  const uint32_t step_word = word(step, "step");
  auto out = torch::empty({channels, region.height(), region.width()}, torch::kFloat32);
  float* data = out.data_ptr<float>();
  const int64_t h = region.height(), w = region.width();
  word(region.y1, "row");
  word(region.x1, "column");
  // Counter (global x / 4, global y, channel, step): one row of a channel is one stream.
  at::parallel_for(0, channels * h, 1, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t c = row / h, gy = region.y0 + row % h;
      fill_stream(data + row * w, region.x0, w, key, static_cast<uint32_t>(gy),
                  static_cast<uint32_t>(c), step_word);
    }
  });
  return out;
}

}  // namespace

torch::Tensor window_noise(uint64_t seed, int64_t step, int64_t y, int64_t x, int64_t channels,
                           int64_t size) {
  const PhiloxKey key = stream_key(seed, Stream::Window);
  const uint32_t step_word = word(step, "step"), y_word = word(y, "window row"),
                 x_word = word(x, "window column");
  const int64_t n = channels * size * size;
  word((n + 3) / 4, "window block count");
  auto out = torch::empty({channels, size, size}, torch::kFloat32);
  float* data = out.data_ptr<float>();
  // Counter (pixel index within the window / 4, step, origin y, origin x); chunks start on block
  // boundaries only for speed, the values do not depend on the chunking.
  constexpr int64_t kChunk = 4096;
  at::parallel_for(0, (n + kChunk - 1) / kChunk, 1, [&](int64_t begin, int64_t end) {
    for (int64_t chunk = begin; chunk < end; ++chunk) {
      const int64_t first = chunk * kChunk, count = std::min(kChunk, n - first);
      fill_stream(data + first, first, count, key, step_word, y_word, x_word);
    }
  });
  return out;
}

namespace {

constexpr int64_t kLow = 0xFFFFFFFF;

// Host words on `device`, without waiting for the device where that is safe.
torch::Tensor upload_words(const std::vector<int64_t>& words, torch::Device device) {
  auto host = torch::empty({static_cast<int64_t>(words.size())},
                           torch::TensorOptions().dtype(torch::kInt64).pinned_memory(device.is_cuda()));
  std::copy(words.begin(), words.end(), host.data_ptr<int64_t>());
  return upload_from_host(host, device);
}

// Philox's constants for philox_pairs: the multipliers of (c0, c2), then every round's key words
// in the order of the words they go into, (c2', c0').
constexpr int64_t kPhiloxConstants = 22;
void append_philox_constants(std::vector<int64_t>& words, PhiloxKey k) {
  words.insert(words.end(), {int64_t{kMul0}, int64_t{kMul1}});
  for (int round = 0; round < 10; ++round) {
    words.insert(words.end(), {int64_t{k[1]}, int64_t{k[0]}});
    k[0] += kWeyl0;
    k[1] += kWeyl1;
  }
}

// Philox4x32-10 on int64 tensors holding 32-bit words, stacked in pairs: evens (c0, c2) and
// partners (c3, c1), both (2, ...) of one shape. Paired so, a round is 5 elementwise operations
// (and a flip) instead of 10 on single words: on an accelerator every operation is a dispatch.
// Returns the evens and the partners; the partners' upper 32 bits are garbage, for the caller to
// mask (inside the loop the next round's mask removes them after the xor).
std::pair<torch::Tensor, torch::Tensor> philox_pairs(torch::Tensor evens, torch::Tensor partners,
                                                     const torch::Tensor& constants) {
  std::vector<int64_t> shape(static_cast<size_t>(evens.dim()) + 1, 1);
  shape[0] = kPhiloxConstants / 2;
  shape[1] = 2;
  const auto rows = constants.view(shape);
  const auto multipliers = rows[0];
  for (int round = 0; round < 10; ++round) {
    // A product of two 32-bit words needs 64 unsigned bits; int64 multiplication wraps to the
    // same bits, and only bits are used.
    const auto products = evens * multipliers;  // (p0, p1): low halves (c3', c1')
    // (hi p0 ^ c3 ^ k1, hi p1 ^ c1 ^ k0) = (c2', c0'); one mask clears the shift's sign bits and
    // the partners' upper bits.
    evens = torch::bitwise_right_shift(products, 32)
                .bitwise_xor_(partners)
                .bitwise_xor_(rows[round + 1])
                .bitwise_and_(kLow)
                .flip(0);
    partners = products;
  }
  return {evens, partners};
}

}  // namespace

PhiloxWords philox4x32_10(PhiloxWords c, PhiloxKey k) {
  const auto words = torch::broadcast_tensors({c[0], c[1], c[2], c[3]});
  std::vector<int64_t> constants;
  append_philox_constants(constants, k);
  auto [evens, partners] = philox_pairs(torch::stack({words[0], words[2]}), torch::stack({words[3], words[1]}),
                                        upload_words(constants, words[0].device()));
  partners = partners.bitwise_and(kLow);
  return {evens[0], partners[1], evens[1], partners[0]};
}

torch::Tensor window_noise(uint64_t seed, int64_t step, const std::vector<std::pair<int64_t, int64_t>>& origins,
                           int64_t channels, int64_t size, torch::Device device) {
  if (origins.empty()) throw std::runtime_error("noise: no windows");
  if (!device.is_cpu()) return window_noise_tensors(seed, step, origins, channels, size, device);
  std::vector<torch::Tensor> windows;
  for (const auto& [y, x] : origins) windows.push_back(window_noise(seed, step, y, x, channels, size));
  return torch::stack(windows);
}

torch::Tensor window_noise_tensors(uint64_t seed, int64_t step,
                                   const std::vector<std::pair<int64_t, int64_t>>& origins, int64_t channels,
                                   int64_t size, torch::Device device) {
  if (origins.empty()) throw std::runtime_error("noise: no windows");
  const int64_t n = channels * size * size, blocks = (n + 3) / 4;
  word(blocks, "window block count");
  const auto count = static_cast<int64_t>(origins.size());
  // One upload for the windows' origins, the step and Philox's constants.
  std::vector<int64_t> words;
  words.reserve(static_cast<size_t>(2 * count + 1 + kPhiloxConstants));
  for (const auto& origin : origins) words.push_back(word(origin.first, "window row"));
  for (const auto& origin : origins) words.push_back(word(origin.second, "window column"));
  words.push_back(word(step, "step"));
  append_philox_constants(words, stream_key(seed, Stream::Window));
  const auto uploaded = upload_words(words, device);
  const std::vector<int64_t> shape{count, blocks};
  const auto y = uploaded.slice(0, 0, count).view({count, 1}).expand(shape);
  const auto x = uploaded.slice(0, count, 2 * count).view({count, 1}).expand(shape);
  const auto step_word = uploaded.slice(0, 2 * count, 2 * count + 1).view({1, 1}).expand(shape);
  const auto block = torch::arange(blocks, torch::TensorOptions().dtype(torch::kInt64).device(device)).expand(shape);
  // The counters of window_noise, (block within the window, step, origin y, origin x), paired.
  const auto [evens, partners] = philox_pairs(torch::stack({block, y}), torch::stack({x, step_word}),
                                              uploaded.slice(0, 2 * count + 1));
  // Box-Muller with normal4's operations: pair p takes u1 from word 2p (the evens) and u2 from
  // word 2p + 1. (w + 0.5) / 2^32 is exact in float64, so one fused add gives its bits: the 0-dim
  // float64 term makes the sum float64.
  const auto half = torch::scalar_tensor(0.5 * kInv32, torch::kFloat64);
  const auto uniform = [&](const torch::Tensor& w) { return torch::add(half, w, kInv32); };
  const auto radius = torch::log(uniform(evens)).mul_(-2.0).sqrt_();
  const auto angle = uniform(partners.flip(0).bitwise_and_(kLow)).mul_(kTwoPi);
  // (pair, cos|sin, window, block) -> (window, block, lane): element e of a window is lane e % 4
  // of block e / 4. The copy casts and lays out at once.
  const auto lanes = torch::stack({radius * torch::cos(angle), radius * torch::sin(angle)}, 1);
  auto out = torch::empty({count, blocks, 2, 2}, torch::TensorOptions().dtype(torch::kFloat32).device(device));
  out.copy_(lanes.permute({2, 3, 0, 1}));
  return out.view({count, 4 * blocks}).slice(1, 0, n).reshape({count, channels, size, size});
}

torch::Tensor pixel_noise(uint64_t seed, int64_t step, int64_t channels, const Region& region) {
  return region_noise(stream_key(seed, Stream::Pixel), step, channels, region);
}

torch::Tensor initial_noise(uint64_t seed, int64_t channels, const Region& region) {
  return region_noise(stream_key(seed, Stream::Initial), 0, channels, region);
}

}  // namespace geosr
