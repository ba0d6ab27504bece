#pragma once
// Noise schedules of the SR3 forward process and their re-spacing to fewer inference steps.

#include <string>
#include <vector>

namespace geosr {

enum class ScheduleKind { Linear, Cosine, Quadratic };

ScheduleKind parse_schedule_kind(const std::string& name);  // "linear" | "cosine" | "quadratic"
std::string to_string(ScheduleKind kind);

// Step index t runs from 0 to steps()-1; step t takes y_t to y_{t-1}, and the last reverse
// step (t == 0) adds no noise. Doubles, because 1 - gamma near 0 loses everything in float.
struct NoiseSchedule {
  std::vector<double> betas;   // beta_t
  std::vector<double> gammas;  // gamma_t = prod_{i <= t} (1 - beta_i)

  // Training schedule: linear beta 1e-6..1e-2 over T = 2000 is the paper's.
  static NoiseSchedule make(ScheduleKind kind, int T = 2000, double beta_start = 1e-6,
                            double beta_end = 1e-2);
  static NoiseSchedule from_betas(std::vector<double> betas);

  // N evenly spaced steps of this schedule (N <= T); betas are recomputed from the kept gammas,
  // which is valid because the network is conditioned on the continuous level sqrt(gamma).
  NoiseSchedule respaced(int n) const;

  int steps() const { return static_cast<int>(betas.size()); }
  double alpha(int t) const { return 1.0 - betas[t]; }
  double gamma_prev(int t) const { return t == 0 ? 1.0 : gammas[t - 1]; }
  // The network's conditioning input at step t.
  double noise_level(int t) const;
};

}  // namespace geosr
