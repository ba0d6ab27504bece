// Option values and lists are numbers only when the whole text is one, in the type asked for.

#include <gtest/gtest.h>

#include <cstdint>

#include "geosr/core/whole_number.hpp"

namespace {

using geosr::whole_number;

TEST(WholeNumber, TheWholeTextOrNothing) {
  EXPECT_EQ(whole_number<double>("2.5"), 2.5);
  EXPECT_EQ(whole_number<double>("-1e3"), -1000.0);
  EXPECT_EQ(whole_number<double>("5x"), std::nullopt) << "std::stod would read 5";
  EXPECT_EQ(whole_number<double>("2.5,"), std::nullopt);
  EXPECT_EQ(whole_number<double>(""), std::nullopt);
  EXPECT_EQ(whole_number<double>("abc"), std::nullopt);
  EXPECT_EQ(whole_number<double>("1e999"), std::nullopt) << "out of double's range";
}

TEST(WholeNumber, IntegersFitTheirType) {
  EXPECT_EQ(whole_number<int>("7"), 7);
  EXPECT_EQ(whole_number<int>("-3"), -3);
  EXPECT_EQ(whole_number<int>("1.5"), std::nullopt);
  EXPECT_EQ(whole_number<int>("1e3"), std::nullopt);
  EXPECT_EQ(whole_number<int>("3000000000"), std::nullopt) << "past int";
  EXPECT_EQ(whole_number<int64_t>("3000000000"), int64_t{3000000000});
}

}  // namespace
