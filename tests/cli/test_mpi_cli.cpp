// `geosr sr --mpi` under OpenMPI's mpirun, as a cluster user runs it: 1 to 4 ranks write the
// single-process bytes, a failing rank ends the job with its rank and cause, and a job with a
// rank killed mid-run resumes from the per-rank checkpoints to the uninterrupted bytes.
#include <gtest/gtest.h>

#include <cstdlib>

#include "gdal_fixtures.hpp"

namespace {

namespace t = geosr::test;
namespace fs = std::filesystem;

const std::string kGeosr = GEOSR_BINARY;

class CliMpi : public ::testing::Test {
 protected:
  void SetUp() override {
    if (t::run_command("command -v mpirun").exit_code != 0) GTEST_SKIP() << "no mpirun (install openmpi-bin)";
    if (t::run_command(kGeosr + " sr --help").output.find("--mpi") == std::string::npos)
      GTEST_SKIP() << "geosr was built without MPI";
    // CI containers run as root, which mpirun refuses unless told; one thread per process so that
    // every run, single or distributed, sums its convolutions the same way (see docs/hpc.md).
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    dir = t::scratch(::testing::UnitTest::GetInstance()->current_test_info()->name());
    lr = t::samples() / "naip_riverside_2018_0_lr5.tif";
  }
  // 255 x 255 output, 11 rows of 32-px windows: enough rows for 4 ranks.
  std::string sr(const std::string& options, const fs::path& out) const {
    return "sr -q --window 32 --stride 24 --seed 5 " + options + " " + t::quote(lr) + " " + t::quote(out);
  }
  static t::CommandResult mpirun(int ranks, const std::string& args) {
    return t::run_command("mpirun --oversubscribe -np " + std::to_string(ranks) + " " + kGeosr + " " + args);
  }
  fs::path dir, lr;
};

TEST_F(CliMpi, OneToFourRanksWriteTheSingleProcessBytes) {
  const auto single = t::run_command(kGeosr + " " + sr("--steps 3", dir / "single.tif"));
  ASSERT_EQ(single.exit_code, 0) << single.output;
  for (int ranks = 1; ranks <= 4; ++ranks) {
    const auto out = dir / ("ranks" + std::to_string(ranks) + ".tif");
    const auto plan = mpirun(ranks, sr("--steps 3 --mpi --dry-run", out));
    ASSERT_EQ(plan.exit_code, 0) << plan.output;
    EXPECT_NE(plan.output.find(std::to_string(ranks) + " of " + std::to_string(ranks) + " take rows"), std::string::npos)
        << "every rank gets rows: " << plan.output;
    const auto run = mpirun(ranks, sr("--steps 3 --mpi", out));
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(t::file_bytes(out), t::file_bytes(dir / "single.tif")) << ranks << " ranks";
    EXPECT_EQ(t::cog_problems(out), "");
  }
  EXPECT_EQ(t::other_files(dir, {"single.tif", "ranks1.tif", "ranks2.tif", "ranks3.tif", "ranks4.tif"}),
            std::vector<std::string>{})
      << "no checkpoint or canvas file is left";
}

TEST_F(CliMpi, AFailingRankEndsTheJobWithItsRankAndCause) {
  // Only rank 0 writes the output, so only rank 0 finds its directory missing.
  const auto run = t::run_command("timeout 120 mpirun --oversubscribe -np 2 " + kGeosr + " " +
                                  sr("--steps 3 --mpi", dir / "missing" / "out.tif"));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.exit_code, 124) << "the job hung: " << run.output;
  EXPECT_NE(run.output.find("geosr sr (rank 0 of 2): error:"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("missing"), std::string::npos) << run.output;
}

TEST_F(CliMpi, KilledRankResumesToTheUninterruptedBytes) {
  const auto single = t::run_command(kGeosr + " " + sr("--steps 16", dir / "whole.tif"));
  ASSERT_EQ(single.exit_code, 0) << single.output;

  const auto out = dir / "killed.tif";
  const auto rank1 = fs::path(out.string() + ".geosr-checkpoint.rank1of2");
  // Rank 1 (found by the rank OpenMPI puts in its environment) is killed once it has checkpointed;
  // the job must end by itself within a minute.
  const std::string script =
      "( mpirun --oversubscribe -np 2 " + kGeosr + " " + sr("--steps 16 --checkpoint-every 2 --mpi", out) + " >" +
      t::quote(dir / "killed.log") + " 2>&1 & job=$!; i=0; while [ ! -f " + t::quote(rank1) +
      " ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; "
      "for p in $(pgrep -f killed.tif); do if tr '\\0' '\\n' </proc/$p/environ 2>/dev/null | grep -qx "
      "OMPI_COMM_WORLD_RANK=1; then kill -KILL $p; fi; done; "
      "i=0; while kill -0 $job 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; "
      "if kill -0 $job 2>/dev/null; then echo HUNG; kill -KILL $job; fi; wait $job; echo \"exit=$?\" )";
  const auto killed = t::run_command(script);
  EXPECT_EQ(killed.output.find("HUNG"), std::string::npos) << killed.output;
  EXPECT_EQ(killed.output.find("exit=0"), std::string::npos) << killed.output;
  const std::string log = t::file_bytes(dir / "killed.log");
  EXPECT_NE(log.find("rank 1"), std::string::npos) << log;
  EXPECT_NE(log.find("signal 9"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(out)) << "no output from a failed job";
  ASSERT_TRUE(fs::exists(rank1));

  const auto resumed = mpirun(2, sr("--steps 16 --checkpoint-every 2 --mpi --resume", out));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(t::file_bytes(out), t::file_bytes(dir / "whole.tif"));
  EXPECT_EQ(t::other_files(dir, {"whole.tif", "killed.tif", "killed.log"}), std::vector<std::string>{});

  const auto other = mpirun(3, sr("--steps 16 --mpi --resume", dir / "never.tif"));
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.output.find("no checkpoint to resume from"), std::string::npos) << other.output;
}

}  // namespace
