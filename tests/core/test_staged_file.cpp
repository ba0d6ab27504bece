// StagedFile: the destination holds the old file or the whole new one, never a part, and nothing
// is left beside it when a write fails.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "geosr/core/runtime.hpp"
#include "geosr/core/staged_file.hpp"
#include "test_support.hpp"

using namespace geosr;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

size_t entries(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST(StagedFile, TheDestinationChangesOnlyAtCommit) {
  const auto dir = test::scratch("commit");
  const auto file = dir / "report.txt";
  std::ofstream(file) << "old";
  {
    StagedFile staged(file.string());
    staged.stream() << "new, unfinished";
    EXPECT_EQ(slurp(file), "old");
    EXPECT_EQ(entries(dir), 2u) << "the staging file sits beside the destination";
  }
  EXPECT_EQ(slurp(file), "old") << "dropped without commit";
  EXPECT_EQ(entries(dir), 1u) << "and its staging file removed";

  StagedFile staged(file.string());
  staged.stream() << "new";
  staged.commit();
  EXPECT_EQ(slurp(file), "new");
  EXPECT_EQ(entries(dir), 1u);
}

TEST(StagedFile, AFailedWriteIsReportedAtCommitAndKeepsTheOldFile) {
  fail_writes_past_file_size_limit();  // as the programs do: a failed write, not a killed process
  const auto dir = test::scratch("failed_write");
  const auto file = dir / "model.bin";
  std::ofstream(file) << "old";
  std::string error;
  try {
    const test::FileSizeLimit limit(16 << 10);
    StagedFile staged(file.string());
    staged.stream() << std::string(64 << 10, 'x');
    staged.commit();
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  EXPECT_EQ(error, "cannot write " + file.string());
  EXPECT_EQ(slurp(file), "old");
  EXPECT_EQ(entries(dir), 1u) << "no staging file left";
}

TEST(StagedFile, OnlyRegularFilesAreReplaced) {
  const auto dir = test::scratch("not_regular");
  fs::create_symlink("/dev/null", dir / "link");
  fs::create_directory(dir / "folder");
  for (const auto& name : {"link", "folder"}) {
    const auto path = (dir / name).string();
    try {
      StagedFile staged(path);
      ADD_FAILURE() << name << " accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()), "cannot write " + path + ": it is not a regular file");
    }
  }
  EXPECT_TRUE(fs::is_symlink(dir / "link"));
  EXPECT_TRUE(fs::is_directory(dir / "folder"));
  EXPECT_EQ(entries(dir), 2u);
}
