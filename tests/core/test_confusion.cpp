// Segmentation scores against confusion matrices computed by hand; invalid pixels excluded.

#include <gtest/gtest.h>

#include <cmath>

#include "geosr/core/segmentation/confusion.hpp"

namespace {

using namespace geosr;

TEST(Confusion, BinaryScoresMatchAHandCount) {
  // labels     prediction   valid
  // 1 1 0 0    1 0 1 0      1 1 1 1
  // 1 0 0 1    1 0 0 0      1 1 1 0   (the last pixel, a missed 1, is NoData: excluded)
  const auto labels = torch::tensor({1, 1, 0, 0, 1, 0, 0, 1}, torch::kInt64).view({2, 4});
  const auto prediction = torch::tensor({1, 0, 1, 0, 1, 0, 0, 0}, torch::kInt64).view({2, 4});
  const auto valid = torch::tensor({1, 1, 1, 1, 1, 1, 1, 0}, torch::kBool).view({2, 4});
  Confusion c(2);
  c.add(labels, prediction, valid);
  // TP 2, FN 1, FP 1, TN 3.
  EXPECT_TRUE(torch::equal(c.matrix(), torch::tensor({3, 1, 1, 2}, torch::kInt64).view({2, 2})));
  const auto s = scores(c);
  EXPECT_EQ(s.pixels, 7);
  EXPECT_DOUBLE_EQ(s.accuracy, 5.0 / 7.0);
  EXPECT_DOUBLE_EQ(s.classes[1].precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.classes[1].recall, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.classes[1].f1, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(s.classes[1].iou, 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(s.classes[0].iou, 3.0 / 5.0);
  // Accumulating a second scene adds its counts.
  c.add(labels, labels, torch::ones({2, 4}, torch::kBool));
  EXPECT_EQ(scores(c).pixels, 15);
}

TEST(Confusion, UndefinedScoresAreNanAndBadClassesThrow) {
  Confusion c(3);
  const auto zeros = torch::zeros({3, 3}, torch::kInt64);
  c.add(zeros, zeros, torch::ones({3, 3}, torch::kBool));
  const auto s = scores(c);
  EXPECT_DOUBLE_EQ(s.accuracy, 1.0);
  EXPECT_TRUE(std::isnan(s.classes[2].precision)) << "no pixel predicted or labelled 2";
  EXPECT_THROW(c.add(zeros + 3, zeros, torch::ones({3, 3}, torch::kBool)), std::runtime_error);
  EXPECT_THROW(c.add(zeros, zeros - 1, torch::ones({3, 3}, torch::kBool)), std::runtime_error);
  EXPECT_THROW(Confusion(1), std::runtime_error);
}

}  // namespace
