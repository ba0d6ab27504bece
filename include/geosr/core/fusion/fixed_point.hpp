#pragma once
// Order-independent accumulation. Window contributions are summed as int64 multiples of 2^-32:
// integer addition is exact and associative, so the accumulated bits do not depend on which
// window, batch, thread or machine added first. Floating-point sums would (a + b + c differs
// from a + c + b in the last bits), and those bits would then differ in the output.
//
// 2^-32 (2.3e-10) is far below float32 resolution of values in [-8, 8]; values up to 2^30 are
// accepted, so even thousands of overlapping contributions cannot overflow int64.

#include <torch/torch.h>

namespace geosr {

constexpr double kFixedPointScale = 4294967296.0;  // 2^32
constexpr double kFixedPointLimit = 1073741824.0;  // 2^30

// float64 -> int64 (round half to even). Throws std::runtime_error on a non-finite or
// out-of-range value, which means the network produced garbage.
torch::Tensor to_fixed_point(const torch::Tensor& values);
// On an accelerator a look at the values is a wait for the device, so the window step converts
// them unchecked (window_contributions.hpp, the same rounding) and gathers the largest |value|:
// this throws to_fixed_point's error unless `largest` (a 0-dim tensor on any device) is below the limit.
void check_fixed_point_range(const torch::Tensor& largest);
// int64 -> float64.
torch::Tensor from_fixed_point(const torch::Tensor& sums);

}  // namespace geosr
