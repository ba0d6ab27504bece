#pragma once
// The sbatch script of `geosr batch --slurm`: one array task per manifest task, each running
// `geosr batch --manifest M --task $SLURM_ARRAY_TASK_ID`.

#include <cstddef>
#include <string>
#include <vector>

namespace geosr::cli {

struct SlurmOptions {
  std::string job_name = "geosr-batch";
  std::string partition, time, account, mem, gres, gpus_per_task;  // empty: Slurm's default
  int cpus_per_task = 0;                                            // 0: Slurm's default
  int max_parallel = 0;                                             // the array's %N throttle; 0: none
  std::vector<std::string> extra;                                   // more sbatch options, as written
};

// Refuses values sbatch would misread in an #SBATCH line (UsageError).
void check_slurm_options(const SlurmOptions& options);

// The script for `tasks` array tasks; logs go to LOGDIR/<job name>_<job id>_<task>.log.
std::string slurm_script(const SlurmOptions& options, size_t tasks, const std::string& geosr,
                         const std::string& manifest, const std::string& logdir);

}  // namespace geosr::cli
