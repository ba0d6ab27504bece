#pragma once
// The way of one window value from the sampler's mean to the scene's accumulator, without
// LibTorch so that the CPU and a CUDA kernel run the same lines: its noise (window_noise's stream),
// the sample mu + sigma z, the fusion coefficients (fuser.hpp), fixed point (fixed_point.hpp).
// Fuser::accumulate fills the arguments and picks the device's loop; the loops only add.
//
// The float64 arithmetic must round every product and sum on its own, as LibTorch's elementwise
// operations do on the host: the files that include this are compiled without contraction into
// fused multiply-adds (-ffp-contract=off, nvcc --fmad=false), or a device's bits would differ.

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "geosr/core/diffusion/philox.hpp"

namespace geosr {

struct WindowContributions {
  const float* means = nullptr;                // (n, C, P, P): the sampler's means
  const double* sample_coefficients = nullptr;  // (n, P, P): multiply the sample
  const double* mean_coefficients = nullptr;    // (n, P, P): multiply the mean (sdvc), or null
  const int64_t* windows = nullptr;  // (4, n): noise origin y, origin x; accumulator row, column
  int64_t* sums = nullptr;           // (planes, C, rows, width) int64 fixed point
  int64_t n = 0, channels = 0, size = 0, rows = 0, width = 0;
  bool two_planes = false;  // vcf: plane 0 sums the samples, plane 1 the means
  double sigma = 0.0;       // 0: no noise
  double scale = 0.0, limit = 0.0;  // fixed point: value x scale; |value| below limit
  PhiloxKey key{};
  uint32_t step = 0;

  GEOSR_HOST_DEVICE int64_t values() const { return channels * size * size; }
  GEOSR_HOST_DEVICE int64_t blocks() const { return (values() + 3) / 4; }
};

// What one Philox block of a window (values 4 block .. 4 block + 3) adds: where, how much to each
// plane, and the bits of the largest |value| (a non-negative double orders as its bits, and NaN
// above infinity, so the caller can take the maximum as integers and still see NaN).
struct BlockContributions {
  int count = 0;
  int64_t at[4] = {};  // offsets in plane 0 of the sums
  int64_t add[2][4] = {};
  uint64_t largest = 0;
};

GEOSR_HOST_DEVICE inline uint64_t magnitude_bits(double value) {
  const double magnitude = fabs(value);
  uint64_t bits;
  memcpy(&bits, &magnitude, sizeof bits);
  return bits;
}

// round(value x scale) as int64, half to even like LibTorch's round. A value out of range adds 0:
// its bits in `largest` make the step fail before anything is committed.
GEOSR_HOST_DEVICE inline int64_t fixed_point(double value, const WindowContributions& w) {
  if (!(fabs(value) < w.limit)) return 0;
  return static_cast<int64_t>(rint(value * w.scale));
}

GEOSR_HOST_DEVICE inline BlockContributions block_contributions(const WindowContributions& w, int64_t window,
                                                                int64_t block) {
  BlockContributions out;
  const int64_t values = w.values(), pixels = w.size * w.size;
  float noise[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  if (w.sigma > 0.0) {
    const auto z = window_noise_block(w.key, w.step, static_cast<uint32_t>(w.windows[window]),
                                      static_cast<uint32_t>(w.windows[w.n + window]), static_cast<uint32_t>(block));
    for (int lane = 0; lane < 4; ++lane) noise[lane] = z[lane];
  }
  const int64_t row = w.windows[2 * w.n + window], column = w.windows[3 * w.n + window];
  for (int lane = 0; lane < 4; ++lane) {
    const int64_t e = 4 * block + lane;
    if (e >= values) break;
    const int64_t c = e / pixels, pixel = e % pixels;
    const double mu = w.means[window * values + e];
    const double sample = w.sigma > 0.0 ? mu + w.sigma * static_cast<double>(noise[lane]) : mu;
    const double a = w.sample_coefficients[window * pixels + pixel];
    double first = a * sample, second = 0.0;
    if (w.two_planes) {
      second = a * mu;
    } else if (w.mean_coefficients) {
      first = first + w.mean_coefficients[window * pixels + pixel] * mu;
    }
    out.at[lane] = (c * w.rows + row + pixel / w.size) * w.width + column + pixel % w.size;
    out.add[0][lane] = fixed_point(first, w);
    out.add[1][lane] = fixed_point(second, w);
    const uint64_t largest = magnitude_bits(first) > magnitude_bits(second) ? magnitude_bits(first)
                                                                            : magnitude_bits(second);
    if (largest > out.largest) out.largest = largest;
    out.count = lane + 1;
  }
  return out;
}

// The loops over the n x blocks() blocks: add every block's values to `sums` and raise
// *largest (bits, see BlockContributions) to the largest |value|. The CPU's runs in this thread
// pool, the CUDA one on `stream` (a cudaStream_t) without waiting; `sums`, the inputs and `largest`
// must then be device memory.
void add_window_contributions_cpu(const WindowContributions& w, uint64_t* largest);
void add_window_contributions_cuda(const WindowContributions& w, uint64_t* largest, void* stream);

}  // namespace geosr
