#pragma once
// Philox4x32-10 and Box-Muller without LibTorch, for the host and, compiled by nvcc, for a CUDA
// device: every noise value the processor draws comes from these few lines, so a kernel draws the
// host's words (its log/cos/sin may still round a value's last bit differently).
//
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) maps a
// 128-bit counter and a 64-bit key to 128 random bits; Box-Muller turns each pair of 32-bit words
// into two standard normals, so one Philox call yields 4 consecutive values of a stream.

#include <array>
#include <cstdint>
#include <math.h>

#ifdef __CUDACC__
#define GEOSR_HOST_DEVICE __host__ __device__
#else
#define GEOSR_HOST_DEVICE
#endif

namespace geosr {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

namespace philox_constants {
// Philox4x32's round multipliers and key increments; Box-Muller's constants.
constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
constexpr double kTwoPi = 6.283185307179586476925;
constexpr double kInv32 = 1.0 / 4294967296.0;
}  // namespace philox_constants

GEOSR_HOST_DEVICE inline PhiloxCounter philox4x32_10(PhiloxCounter c, PhiloxKey k) {
  using namespace philox_constants;
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

// The 4 standard normals of one Philox block (Box-Muller on word pairs (0,1) and (2,3)).
GEOSR_HOST_DEVICE inline std::array<float, 4> normal4(const PhiloxCounter& counter, const PhiloxKey& key) {
  using namespace philox_constants;
  const PhiloxCounter r = philox4x32_10(counter, key);
  std::array<float, 4> out{};
  for (int pair = 0; pair < 2; ++pair) {
    // +0.5 keeps u1 in (0, 1), so the logarithm is finite; the largest |z| is about 6.8.
    const double u1 = (r[2 * pair] + 0.5) * kInv32;
    const double u2 = (r[2 * pair + 1] + 0.5) * kInv32;
    const double radius = ::sqrt(-2.0 * ::log(u1));
    out[2 * pair] = static_cast<float>(radius * ::cos(kTwoPi * u2));
    out[2 * pair + 1] = static_cast<float>(radius * ::sin(kTwoPi * u2));
  }
  return out;
}

// Values 4 block .. 4 block + 3 of the noise of the window with origin (y, x) at `step` (see
// window_noise): the counter is (block, step, y, x).
GEOSR_HOST_DEVICE inline std::array<float, 4> window_noise_block(const PhiloxKey& key, uint32_t step, uint32_t y,
                                                                 uint32_t x, uint32_t block) {
  return normal4({block, step, y, x}, key);
}

}  // namespace geosr
