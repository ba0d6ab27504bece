#include "geosr/core/diffusion/noise.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include <ATen/Parallel.h>

namespace geosr {

PhiloxCounter philox4x32_10(PhiloxCounter c, PhiloxKey k) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
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

PhiloxWords philox4x32_10(PhiloxWords c, PhiloxKey k) {
  constexpr int64_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57, kLow = 0xFFFFFFFF;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  // A product of two 32-bit words needs 64 unsigned bits; int64 multiplication wraps to the same
  // bits, and only bits are used (shift then mask, so the sign never matters).
  const auto high = [](const torch::Tensor& p) { return torch::bitwise_right_shift(p, 32).bitwise_and(kLow); };
  for (int round = 0; round < 10; ++round) {
    const auto p0 = c[0] * kMul0;
    const auto p1 = c[2] * kMul1;
    c = {high(p1).bitwise_xor(c[1]).bitwise_xor(int64_t{k[0]}), p1.bitwise_and(kLow),
         high(p0).bitwise_xor(c[3]).bitwise_xor(int64_t{k[1]}), p0.bitwise_and(kLow)};
    k[0] += kWeyl0;
    k[1] += kWeyl1;
  }
  return c;
}

std::array<float, 4> normal4(const PhiloxCounter& counter, const PhiloxKey& key) {
  const PhiloxCounter r = philox4x32_10(counter, key);
  constexpr double kTwoPi = 6.283185307179586476925;
  constexpr double kInv32 = 1.0 / 4294967296.0;
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

torch::Tensor window_noise(uint64_t seed, int64_t step, const std::vector<std::pair<int64_t, int64_t>>& origins,
                           int64_t channels, int64_t size, torch::Device device) {
  if (origins.empty()) throw std::runtime_error("noise: no windows");
  if (device.is_cpu()) {
    std::vector<torch::Tensor> windows;
    for (const auto& [y, x] : origins) windows.push_back(window_noise(seed, step, y, x, channels, size));
    return torch::stack(windows);
  }
  const PhiloxKey key = stream_key(seed, Stream::Window);
  const int64_t n = channels * size * size, blocks = (n + 3) / 4;
  word(blocks, "window block count");
  const auto count = static_cast<int64_t>(origins.size());
  // The origins cross to the device from pinned memory without waiting: a plain copy would make
  // the host wait for all the work queued on the device.
  auto yx = torch::empty({2, count, 1}, torch::TensorOptions().dtype(torch::kInt64).pinned_memory(device.is_cuda()));
  int64_t* words = yx.data_ptr<int64_t>();
  for (int64_t i = 0; i < count; ++i) {
    words[i] = word(origins[static_cast<size_t>(i)].first, "window row");
    words[count + i] = word(origins[static_cast<size_t>(i)].second, "window column");
  }
  yx = yx.to(device, /*non_blocking=*/true);
  const auto on_device = torch::TensorOptions().dtype(torch::kInt64).device(device);
  // The counters of window_noise: (block within the window, step, origin y, origin x), one row per window.
  const PhiloxWords r = philox4x32_10(
      {torch::arange(blocks, on_device).view({1, blocks}), torch::full({1, 1}, int64_t{word(step, "step")}, on_device),
       yx[0], yx[1]},
      key);
  // Box-Muller with normal4's operations in normal4's order.
  constexpr double kTwoPi = 6.283185307179586476925;
  constexpr double kInv32 = 1.0 / 4294967296.0;
  const auto uniform = [&](const torch::Tensor& w) { return (w.to(torch::kFloat64) + 0.5) * kInv32; };
  std::vector<torch::Tensor> lanes;
  for (int pair = 0; pair < 2; ++pair) {
    const auto radius = torch::sqrt(-2.0 * torch::log(uniform(r[2 * pair])));
    const auto angle = kTwoPi * uniform(r[2 * pair + 1]);
    lanes.push_back((radius * torch::cos(angle)).to(torch::kFloat32));
    lanes.push_back((radius * torch::sin(angle)).to(torch::kFloat32));
  }
  // Element e of a window is lane e % 4 of block e / 4.
  return torch::stack(lanes, 2)
      .expand({count, blocks, 4})
      .reshape({count, 4 * blocks})
      .slice(1, 0, n)
      .reshape({count, channels, size, size});
}

torch::Tensor pixel_noise(uint64_t seed, int64_t step, int64_t channels, const Region& region) {
  return region_noise(stream_key(seed, Stream::Pixel), step, channels, region);
}

torch::Tensor initial_noise(uint64_t seed, int64_t channels, const Region& region) {
  return region_noise(stream_key(seed, Stream::Initial), 0, channels, region);
}

}  // namespace geosr
