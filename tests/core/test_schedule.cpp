// Noise schedules against their closed forms, and re-spacing.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "geosr/core/diffusion/schedule.hpp"

using geosr::NoiseSchedule;
using geosr::ScheduleKind;

TEST(Schedule, LinearIsThePapers) {
  const auto s = NoiseSchedule::make(ScheduleKind::Linear);
  ASSERT_EQ(s.steps(), 2000);
  EXPECT_DOUBLE_EQ(s.betas.front(), 1e-6);
  EXPECT_NEAR(s.betas.back(), 1e-2, 1e-15);
  EXPECT_NEAR(s.betas[1000], 1e-6 + (1e-2 - 1e-6) * 1000.0 / 1999.0, 1e-15);
  // gamma_T = prod(1 - beta) computed independently through logs.
  double log_gamma = 0;
  for (int i = 0; i < 2000; ++i) log_gamma += std::log1p(-(1e-6 + (1e-2 - 1e-6) * i / 1999.0));
  EXPECT_NEAR(s.gammas.back(), std::exp(log_gamma), 1e-12);
  EXPECT_NEAR(s.noise_level(1999), std::exp(0.5 * log_gamma), 1e-12);
  EXPECT_NEAR(s.noise_level(0), std::sqrt(1 - 1e-6), 1e-15);
}

TEST(Schedule, QuadraticIsSquaredLinearInSqrt) {
  const auto s = NoiseSchedule::make(ScheduleKind::Quadratic, 100, 1e-4, 2e-2);
  for (int i : {0, 37, 99}) {
    const double root = std::sqrt(1e-4) + (std::sqrt(2e-2) - std::sqrt(1e-4)) * i / 99.0;
    EXPECT_NEAR(s.betas[i], root * root, 1e-15) << i;
  }
}

TEST(Schedule, CosineFollowsNicholDhariwal) {
  const int T = 1000;
  const auto s = NoiseSchedule::make(ScheduleKind::Cosine, T);
  const auto f = [&](double t) { return std::pow(std::cos((t / T + 0.008) / 1.008 * M_PI / 2), 2); };
  // Away from the clipped end, gamma_t is the closed form f(t+1)/f(0).
  for (int t : {0, 10, 500, 900}) EXPECT_NEAR(s.gammas[t], f(t + 1) / f(0), 1e-12) << t;
  EXPECT_DOUBLE_EQ(s.betas.back(), 0.999);  // f(T) = 0 would make beta 1: clipped
  for (double b : s.betas) EXPECT_LE(b, 0.999);
}

TEST(Schedule, GammasAreCumulativeProducts) {
  const auto s = NoiseSchedule::make(ScheduleKind::Linear, 50, 1e-3, 0.2);
  double gamma = 1;
  for (int t = 0; t < 50; ++t) {
    gamma *= 1 - s.betas[t];
    EXPECT_NEAR(s.gammas[t], gamma, 1e-15);
    EXPECT_NEAR(s.alpha(t), 1 - s.betas[t], 0);
  }
  EXPECT_EQ(s.gamma_prev(0), 1.0);
  EXPECT_EQ(s.gamma_prev(7), s.gammas[6]);
}

TEST(Schedule, RespacingKeepsGammasAndEnds) {
  const auto full = NoiseSchedule::make(ScheduleKind::Linear);
  for (int n : {1, 2, 7, 50, 1000, 1999, 2000}) {
    const auto r = full.respaced(n);
    ASSERT_EQ(r.steps(), n);
    EXPECT_EQ(r.gammas.back(), full.gammas.back()) << n;  // starts from the training's noisiest level
    if (n > 1) EXPECT_EQ(r.gammas.front(), full.gammas.front()) << n;
    double gamma = 1;
    for (int k = 0; k < n; ++k) {
      // Every kept level is one of the training levels, and the betas reproduce it.
      EXPECT_NE(std::find(full.gammas.begin(), full.gammas.end(), r.gammas[k]), full.gammas.end());
      gamma *= 1 - r.betas[k];
      EXPECT_NEAR(r.gammas[k], gamma, 1e-12);
      if (k > 0) EXPECT_LT(r.gammas[k], r.gammas[k - 1]);
    }
  }
  const auto same = full.respaced(2000);
  for (int t = 0; t < 2000; ++t) EXPECT_NEAR(same.betas[t], full.betas[t], 1e-12);
  // Evenly spaced: 5 of 2000 keeps indices 0, 500 (499.75 rounded), 1000, 1499, 1999.
  const auto five = full.respaced(5);
  EXPECT_EQ(five.gammas[1], full.gammas[500]);
  EXPECT_EQ(five.gammas[3], full.gammas[1499]);
}

TEST(Schedule, BadRequestsThrow) {
  const auto full = NoiseSchedule::make(ScheduleKind::Linear, 100);
  EXPECT_THROW(full.respaced(101), std::runtime_error);
  EXPECT_THROW(full.respaced(0), std::runtime_error);
  EXPECT_THROW(NoiseSchedule::make(ScheduleKind::Linear, 0), std::runtime_error);
  EXPECT_THROW(NoiseSchedule::from_betas({0.1, 1.5}), std::runtime_error);
  EXPECT_THROW(geosr::parse_schedule_kind("sigmoid"), std::runtime_error);
  for (auto kind : {ScheduleKind::Linear, ScheduleKind::Cosine, ScheduleKind::Quadratic})
    EXPECT_EQ(geosr::parse_schedule_kind(geosr::to_string(kind)), kind);
}
