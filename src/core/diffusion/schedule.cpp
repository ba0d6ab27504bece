#include "geosr/core/diffusion/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace geosr {

ScheduleKind parse_schedule_kind(const std::string& name) {
  if (name == "linear") return ScheduleKind::Linear;
  if (name == "cosine") return ScheduleKind::Cosine;
  if (name == "quadratic" || name == "quad") return ScheduleKind::Quadratic;
  throw std::runtime_error("unknown schedule '" + name + "' (linear, cosine, quadratic)");
}

std::string to_string(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::Linear: return "linear";
    case ScheduleKind::Cosine: return "cosine";
    case ScheduleKind::Quadratic: return "quadratic";
  }
  return "?";
}

NoiseSchedule NoiseSchedule::make(ScheduleKind kind, int T, double beta_start, double beta_end) {
  if (T < 1) throw std::runtime_error("schedule needs at least one step, got " + std::to_string(T));
  std::vector<double> betas(T);
  // np.linspace: start + i * (end - start) / (T - 1), exactly end at the last step.
  const auto lerp = [T](double a, double b, int i) { return T == 1 ? a : a + (b - a) * i / (T - 1); };
  switch (kind) {
    case ScheduleKind::Linear:
      for (int i = 0; i < T; ++i) betas[i] = lerp(beta_start, beta_end, i);
      break;
    case ScheduleKind::Quadratic:
      for (int i = 0; i < T; ++i) betas[i] = std::pow(lerp(std::sqrt(beta_start), std::sqrt(beta_end), i), 2);
      break;
    case ScheduleKind::Cosine: {
      // Nichol & Dhariwal: gamma(t) = f(t)/f(0), f(t) = cos^2(((t/T + s)/(1 + s)) pi/2), beta <= 0.999.
      const double s = 0.008;
      const auto f = [&](int t) { return std::pow(std::cos((static_cast<double>(t) / T + s) / (1 + s) * M_PI / 2), 2); };
      for (int i = 0; i < T; ++i) betas[i] = std::min(1.0 - f(i + 1) / f(i), 0.999);
      break;
    }
  }
  return from_betas(std::move(betas));
}

NoiseSchedule NoiseSchedule::from_betas(std::vector<double> betas) {
  NoiseSchedule s;
  if (betas.empty()) throw std::runtime_error("schedule needs at least one beta");
  double gamma = 1.0;
  for (const double b : betas) {
    if (!(b > 0.0 && b < 1.0)) throw std::runtime_error("schedule betas must lie in (0, 1), got " + std::to_string(b));
    gamma *= 1.0 - b;
    s.gammas.push_back(gamma);
  }
  s.betas = std::move(betas);
  return s;
}

NoiseSchedule NoiseSchedule::respaced(int n) const {
  const int T = steps();
  if (n < 1 || n > T)
    throw std::runtime_error("cannot respace a " + std::to_string(T) + "-step schedule to " + std::to_string(n) +
                             " steps (need 1 <= N <= " + std::to_string(T) + ")");
  NoiseSchedule s;
  double previous = 1.0;
  for (int k = 0; k < n; ++k) {
    // Evenly spaced, always keeping the noisiest step (T-1), and the cleanest (0) when n > 1.
    const int t = n == 1 ? T - 1 : static_cast<int>(std::llround(static_cast<double>(k) * (T - 1) / (n - 1)));
    s.gammas.push_back(gammas[t]);
    s.betas.push_back(1.0 - gammas[t] / previous);
    previous = gammas[t];
  }
  return s;
}

double NoiseSchedule::noise_level(int t) const { return std::sqrt(gammas.at(t)); }

}  // namespace geosr
