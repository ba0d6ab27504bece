// Comma lists in option values: every item, in order, and no empty item skipped over.

#include <gtest/gtest.h>

#include "geosr/core/list_items.hpp"

namespace {

using geosr::list_items;
using Items = std::vector<std::string>;

TEST(ListItems, EveryItemInOrder) {
  EXPECT_EQ(list_items("3,1,2"), Items({"3", "1", "2"}));
  EXPECT_EQ(list_items("a.chips"), Items({"a.chips"}));
  EXPECT_EQ(list_items(" 1, 2"), Items({" 1", " 2"})) << "spaces are the items' own, for their reader to judge";
}

TEST(ListItems, AnEmptyItemAnywhereRefusesTheList) {
  for (const char* text : {"", ",", "1,,2", "1,2,", ",1", "1,2,,"}) EXPECT_EQ(list_items(text), std::nullopt) << text;
  EXPECT_EQ(geosr::empty_item_text("-b", "1,,2"), "-b: empty item in '1,,2'");
}

}  // namespace
