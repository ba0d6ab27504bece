// The training degradation is the inference conditioning: one function, bit for bit.

#include <gtest/gtest.h>

#include "geosr/core/resample/resample.hpp"
#include "geosr/core/train/chip_dataset.hpp"
#include "test_support.hpp"

namespace {

using namespace geosr;

TEST(TrainConditioning, TrainingConditionIsTheInferenceCondition) {
  const ChipDataset data({(test::samples() / "chips" / "train.chips").string()});
  const auto schedule = NoiseSchedule::make(ScheduleKind::Linear, 2000, 1e-6, 1e-2);
  BatchSpec spec;
  spec.batch_size = 4;
  spec.patch = 40;
  spec.scale = 5;
  const auto batch = draw_batch(data, spec, schedule, 1, 0);

  // Inference: an LR raster (what `geosr degrade` makes from HR) is conditioned with
  // condition_from_lr onto the HR grid.
  const auto lr = degrade(batch.hr, 5);
  ASSERT_EQ(lr.size(-1), 8);
  EXPECT_TRUE(torch::equal(batch.condition, condition_from_lr(lr, 40, 40)));
  // ... which is area-down then cubic-up of the whole image.
  EXPECT_TRUE(torch::allclose(batch.condition,
                              resample(resample(batch.hr, ResampleKernel::Area, 8, 8), ResampleKernel::Cubic, 40, 40),
                              1e-6, 1e-6));
  // And the condition carries the HR's coarse content, not noise: closer to HR than to a shuffled HR.
  const double own = (batch.condition - batch.hr).abs().mean().item<double>();
  const double other = (batch.condition - batch.hr.roll(1, 0)).abs().mean().item<double>();
  EXPECT_LT(own, 0.5 * other);
}

}  // namespace
