#include "geosr/eval/feature_distances.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

namespace geosr::eval {
namespace {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Matrix to_eigen(const torch::Tensor& t) {
  const auto c = t.to(torch::kCPU, torch::kFloat64).contiguous();
  if (c.dim() == 1) return Eigen::Map<const Matrix>(c.data_ptr<double>(), 1, c.size(0));
  if (c.dim() != 2) throw std::runtime_error("feature distances: expected (N, D) features");
  return Eigen::Map<const Matrix>(c.data_ptr<double>(), c.size(0), c.size(1));
}

Eigen::MatrixXd symmetric_sqrt(const Eigen::MatrixXd& m) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(m);
  if (eig.info() != Eigen::Success) throw std::runtime_error("fid: eigen-decomposition failed");
  // Covariances are positive semi-definite; rounding can leave tiny negative eigenvalues.
  const Eigen::VectorXd roots = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return eig.eigenvectors() * roots.asDiagonal() * eig.eigenvectors().transpose();
}

double fid_from_moments(const Eigen::RowVectorXd& mu_a, const Eigen::MatrixXd& s_a, const Eigen::RowVectorXd& mu_b,
                        const Eigen::MatrixXd& s_b) {
  if (mu_a.size() != mu_b.size() || s_a.rows() != s_b.rows() || s_a.rows() != mu_a.size()) {
    throw std::runtime_error("fid: feature dimensions differ");
  }
  // tr((S_a S_b)^(1/2)) = tr((S_a^(1/2) S_b S_a^(1/2))^(1/2)): same eigenvalues, but symmetric.
  const Eigen::MatrixXd root_a = symmetric_sqrt(s_a);
  Eigen::MatrixXd inner = root_a * s_b * root_a;
  inner = 0.5 * (inner + inner.transpose());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(inner, Eigen::EigenvaluesOnly);
  if (eig.info() != Eigen::Success) throw std::runtime_error("fid: eigen-decomposition failed");
  const double trace_root = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  return (mu_a - mu_b).squaredNorm() + s_a.trace() + s_b.trace() - 2.0 * trace_root;
}

void moments(const Matrix& x, Eigen::RowVectorXd& mean, Eigen::MatrixXd& cov) {
  if (x.rows() < 2) throw std::runtime_error("fid: need at least 2 feature vectors per set");
  mean = x.colwise().mean();
  const Matrix centred = x.rowwise() - mean;
  cov = (centred.transpose() * centred) / static_cast<double>(x.rows() - 1);
}

}  // namespace

double frechet_distance(const torch::Tensor& features_a, const torch::Tensor& features_b) {
  Eigen::RowVectorXd mu_a, mu_b;
  Eigen::MatrixXd s_a, s_b;
  moments(to_eigen(features_a), mu_a, s_a);
  moments(to_eigen(features_b), mu_b, s_b);
  return fid_from_moments(mu_a, s_a, mu_b, s_b);
}

double frechet_distance(const torch::Tensor& mean_a, const torch::Tensor& cov_a, const torch::Tensor& mean_b,
                        const torch::Tensor& cov_b) {
  return fid_from_moments(to_eigen(mean_a), to_eigen(cov_a), to_eigen(mean_b), to_eigen(cov_b));
}

KidResult kernel_inception_distance(const torch::Tensor& features_a, const torch::Tensor& features_b,
                                    int64_t subsets, int64_t max_subset, uint64_t seed) {
  const Matrix a = to_eigen(features_a), b = to_eigen(features_b);
  if (a.cols() != b.cols()) throw std::runtime_error("kid: feature dimensions differ");
  const int64_t m = std::min<int64_t>({max_subset, a.rows(), b.rows()});
  if (m < 2 || subsets < 1) throw std::runtime_error("kid: need at least 2 feature vectors per set and 1 subset");
  const double d = static_cast<double>(a.cols());
  const auto kernel = [d](const Matrix& x, const Matrix& y) {
    return ((x * y.transpose()).array() / d + 1.0).cube().matrix().eval();
  };
  const auto pick = [m](const Matrix& x, std::mt19937_64& rng) {
    std::vector<int64_t> order(static_cast<size_t>(x.rows()));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    Matrix out(m, x.cols());
    for (int64_t i = 0; i < m; ++i) out.row(i) = x.row(order[static_cast<size_t>(i)]);
    return out;
  };
  std::mt19937_64 rng(seed);
  std::vector<double> values;
  for (int64_t s = 0; s < subsets; ++s) {
    const Matrix x = pick(a, rng), y = pick(b, rng);
    const Eigen::MatrixXd kxx = kernel(x, x), kyy = kernel(y, y), kxy = kernel(x, y);
    const double md = static_cast<double>(m);
    const double within = (kxx.sum() - kxx.trace() + kyy.sum() - kyy.trace()) / (md * (md - 1));
    values.push_back(within - 2.0 * kxy.sum() / (md * md));
  }
  KidResult r;
  r.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  for (double v : values) r.std += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(r.std / static_cast<double>(values.size()));
  return r;
}

}  // namespace geosr::eval
