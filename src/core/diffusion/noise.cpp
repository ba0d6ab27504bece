#include "geosr/core/diffusion/noise.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <ATen/Parallel.h>

namespace geosr {

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

// Fills row-major `n` values of the stream whose counter is (block, c1, c2, c3), element e coming
// from block e / 4, lane e % 4, starting at element `first`.
void fill_stream(float* out, int64_t first, int64_t n, const PhiloxKey& key, uint32_t c1,
                 uint32_t c2, uint32_t c3) {
  int64_t e = first;
  const int64_t end = first + n;
  while (e < end) {
    const int64_t block = e >> 2;
    const auto values = normal4({noise_word(block, "block"), c1, c2, c3}, key);
    for (int64_t lane = e & 3; lane < 4 && e < end; ++lane, ++e) *out++ = values[lane];
  }
}

torch::Tensor region_noise(const PhiloxKey& key, int64_t step, int64_t channels,
                           const Region& region) {
  const uint32_t step_word = noise_word(step, "step");
  auto out = torch::empty({channels, region.height(), region.width()}, torch::kFloat32);
  float* data = out.data_ptr<float>();
  const int64_t h = region.height(), w = region.width();
  noise_word(region.y1, "row");
  noise_word(region.x1, "column");
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

uint32_t noise_word(int64_t value, const char* what) {
  if (value < 0 || value > 0xFFFFFFFFll)
    throw std::runtime_error(std::string("noise: ") + what + " " + std::to_string(value) +
                             " does not fit the 32-bit counter");
  return static_cast<uint32_t>(value);
}

WindowNoiseStream window_noise_stream(uint64_t seed, int64_t step, int64_t channels, int64_t size) {
  noise_word((channels * size * size + 3) / 4, "window block count");
  return {stream_key(seed, Stream::Window), noise_word(step, "step")};
}

torch::Tensor window_noise(uint64_t seed, int64_t step, int64_t y, int64_t x, int64_t channels,
                           int64_t size) {
  const WindowNoiseStream stream = window_noise_stream(seed, step, channels, size);
  const uint32_t y_word = noise_word(y, "window row"), x_word = noise_word(x, "window column");
  const int64_t n = channels * size * size;
  auto out = torch::empty({channels, size, size}, torch::kFloat32);
  float* data = out.data_ptr<float>();
  // Counter (pixel index within the window / 4, step, origin y, origin x), as window_noise_block;
  // chunks start on block boundaries only for speed, the values do not depend on the chunking.
  constexpr int64_t kChunk = 4096;
  at::parallel_for(0, (n + kChunk - 1) / kChunk, 1, [&](int64_t begin, int64_t end) {
    for (int64_t chunk = begin; chunk < end; ++chunk) {
      const int64_t first = chunk * kChunk, count = std::min(kChunk, n - first);
      fill_stream(data + first, first, count, stream.key, stream.step, y_word, x_word);
    }
  });
  return out;
}

torch::Tensor pixel_noise(uint64_t seed, int64_t step, int64_t channels, const Region& region) {
  return region_noise(stream_key(seed, Stream::Pixel), step, channels, region);
}

torch::Tensor initial_noise(uint64_t seed, int64_t channels, const Region& region) {
  return region_noise(stream_key(seed, Stream::Initial), 0, channels, region);
}

}  // namespace geosr
