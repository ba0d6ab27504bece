#include <algorithm>
#include <stdexcept>
#include <string>

#include <cuda_runtime.h>

#include "window_contributions.hpp"

namespace geosr {

namespace {

__global__ void add_contributions(WindowContributions w, unsigned long long* largest) {
  const int64_t blocks = w.blocks(), total = w.n * blocks, plane = w.channels * w.rows * w.width;
  unsigned long long local = 0;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total; i += int64_t{gridDim.x} * blockDim.x) {
    const BlockContributions b = block_contributions(w, i / blocks, i % blocks);
    for (int lane = 0; lane < b.count; ++lane) {
      // Two's complement: an unsigned add gives the signed sum's bits, exact in any order.
      atomicAdd(reinterpret_cast<unsigned long long*>(w.sums + b.at[lane]),
                static_cast<unsigned long long>(b.add[0][lane]));
      if (w.two_planes)
        atomicAdd(reinterpret_cast<unsigned long long*>(w.sums + plane + b.at[lane]),
                  static_cast<unsigned long long>(b.add[1][lane]));
    }
    if (b.largest > local) local = b.largest;
  }
  for (int offset = 16; offset > 0; offset /= 2) {
    const unsigned long long other = __shfl_down_sync(0xffffffffu, local, offset);
    if (other > local) local = other;
  }
  if ((threadIdx.x & 31) == 0 && local > 0) atomicMax(largest, local);
}

}  // namespace

void add_window_contributions_cuda(const WindowContributions& w, uint64_t* largest, void* stream) {
  const int64_t total = w.n * w.blocks();
  if (total == 0) return;
  constexpr int kThreads = 256;
  // Enough blocks to fill any current GPU several times over; the kernel strides over the rest.
  const int64_t grid = std::min<int64_t>((total + kThreads - 1) / kThreads, 8192);
  add_contributions<<<static_cast<unsigned>(grid), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      w, reinterpret_cast<unsigned long long*>(largest));
  // The launch's own error, or one left by earlier asynchronous work on the device: either way the
  // step cannot go on.
  if (const cudaError_t error = cudaGetLastError(); error != cudaSuccess)
    throw std::runtime_error(std::string("fusion: CUDA error at the accumulation kernel's launch: ") +
                             cudaGetErrorString(error));
}

}  // namespace geosr
