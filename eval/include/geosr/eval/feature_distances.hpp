#pragma once
// FID and KID between two sets of feature vectors (rows of (N, D) tensors), as clean-fid computes
// them: FID = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)) with sample covariances (N - 1), the
// square-root trace taken from the symmetric S1^(1/2) S2 S1^(1/2) so that it stays real and stable;
// KID = unbiased MMD^2 with the kernel (x.y / D + 1)^3 over random subsets.

#include <cstdint>

#include <torch/torch.h>

namespace geosr::eval {

double frechet_distance(const torch::Tensor& features_a, const torch::Tensor& features_b);
// The same from moments: means (D), covariances (D, D).
double frechet_distance(const torch::Tensor& mean_a, const torch::Tensor& cov_a, const torch::Tensor& mean_b,
                        const torch::Tensor& cov_b);

struct KidResult {
  double mean = 0.0;
  double std = 0.0;  // over the subsets (population standard deviation)
};

// `subsets` draws of min(max_subset, N_a, N_b) rows without replacement from each set, seeded.
KidResult kernel_inception_distance(const torch::Tensor& features_a, const torch::Tensor& features_b,
                                    int64_t subsets = 100, int64_t max_subset = 1000, uint64_t seed = 0);

}  // namespace geosr::eval
