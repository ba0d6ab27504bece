#pragma once
// Runs the scenes of a batch manifest, each as a child `geosr sr` process, N at a time. A scene
// whose output is already complete is skipped; a failed run leaves no output (geosr sr writes
// under a hidden name and renames) and the last error line it printed is the reason reported.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "batch_manifest.hpp"
#include "sr_request.hpp"

namespace geosr::cli {

enum class SceneStatus { Done, Skipped, Failed };

struct SceneResult {
  size_t task = 0;
  BatchScene scene;
  SceneStatus status = SceneStatus::Failed;
  std::string reason;  // why it failed
  double seconds = 0.0;
};

struct BatchRun {
  std::vector<SceneResult> results;  // in manifest order
  int signal = 0;                    // the SIGINT, SIGTERM or SIGHUP that stopped the run, or 0
};

// The running geosr program (/proc/self/exe resolved): what the runs and the Slurm script start.
std::string geosr_executable();

// The manifest's sr options checked as `geosr sr` checks them, on its first scene; nullopt after
// printing sr's --help. Refuses the options batch sets itself (-q, --overwrite, ...).
std::optional<SrRequest> shared_sr_request(const BatchManifest& manifest);

// "" when the scene's output is what `geosr sr` with these options writes for its input now: a
// COG of the expected size with the same GEOSR_* items (GEOSR_VERSION aside); else why not.
std::string incomplete_reason(const SrOutputForecast& forecast, const BatchScene& scene);

// Runs the scenes of `tasks` with at most `workers` runs at a time. Each run gets
// OMP_NUM_THREADS = cores / workers and OMP_WAIT_POLICY=PASSIVE unless they are set. SIGINT,
// SIGTERM or SIGHUP reaches the runs (which save their checkpoints) and stops the starting of new
// ones.
BatchRun run_batch(const BatchManifest& manifest, const SrOutputForecast& forecast, const std::vector<size_t>& tasks,
                   int workers, bool quiet);

// In a run that geosr batch started (GEOSR_BATCH_PARENT in its environment): a SIGTERM when batch
// dies, even by SIGKILL, so the run saves its checkpoint and stops instead of running on orphaned.
void stop_with_batch_parent();

// Writes the TSV report and prints the summary (only the failures, on stderr, when quiet).
void report_batch(const BatchRun& run, const std::string& report, bool quiet);

}  // namespace geosr::cli
