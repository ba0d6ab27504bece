#include "distributed_job.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "diffusion_scene.hpp"
#include "geosr/core/canvas/streaming_sampler.hpp"
#include "geosr/core/distributed/row_partition.hpp"
#include "geosr/core/interrupt.hpp"
#include "geosr/core/number_text.hpp"
#include "geosr/core/runtime.hpp"
#include "geosr/io/raster_writer.hpp"
#include "geosr/mpi/communicator.hpp"
#include "resample_job.hpp"

namespace geosr::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// A rank's checkpoint is written to `.new` first; once every rank has written its own, each renames
// it over the committed one. Killed anywhere in between, every rank still holds either the old or
// the new step, and resuming picks the newest step all of them hold.
class RankCheckpoint {
 public:
  RankCheckpoint(const mpi::Session& session, const std::string& dst, RunSettings settings)
      : session_(session), path_(rank_checkpoint_path(dst, session.rank(), session.size())), settings_(std::move(settings)) {}

  void save(int steps_done, SceneArray& state) const {
    save_checkpoint(path_ + ".new", settings_, steps_done, state);
    session_.barrier();
    fs::rename(path_ + ".new", path_);
  }

  // The newest step every rank can resume from (throws when there is none).
  int common_step() const {
    const std::vector<int64_t> mine{step_in(path_), step_in(path_ + ".new")};
    const auto all = session_.all_gather(mine);
    int64_t best = -1;
    for (int64_t candidate : all) {
      if (candidate <= best) continue;
      bool everywhere = true;
      for (size_t r = 0; r < all.size(); r += 2) everywhere = everywhere && (all[r] == candidate || all[r + 1] == candidate);
      if (everywhere) best = candidate;
    }
    if (best < 0)
      throw std::runtime_error("no checkpoint to resume from that all " + std::to_string(session_.size()) +
                               " ranks hold (" + path_ + ")");
    return static_cast<int>(best);
  }

  void load(int step, SceneArray& state) const {
    load_checkpoint_state(step_in(path_) == step ? path_ : path_ + ".new", state);
  }

  void remove() const {
    fs::remove(path_);
    fs::remove(path_ + ".new");
  }

  bool exists() const { return fs::exists(path_) || fs::exists(path_ + ".new"); }
  const std::string& path() const { return path_; }

 private:
  // The step a checkpoint file holds for this run, -1 when it is missing or unreadable; a
  // checkpoint of other settings is an error, as for a single process.
  int64_t step_in(const std::string& path) const {
    if (!fs::exists(path)) return -1;
    CheckpointInfo info;
    try {
      info = read_checkpoint_info(path);
    } catch (const std::exception&) {
      return -1;  // torn by a kill while it was written: the other file holds the step
    }
    const std::string difference = settings_difference(settings_, info.settings);
    if (!difference.empty()) throw UsageError("cannot resume from " + path + ": " + difference);
    return info.steps_completed;
  }

  const mpi::Session& session_;
  std::string path_;
  RunSettings settings_;
};

// Rows of the output cross the network in pieces of about 64 MiB.
int64_t rows_per_message(const SceneArray& array) {
  return std::max<int64_t>(1, (int64_t{64} << 20) / (4 * array.channels() * array.width()));
}

// Rank 0 assembles every rank's own rows into `full`; the others send theirs.
void gather_rows(const mpi::Session& session, const std::vector<RowPart>& parts, SceneArray& local, int64_t local_y0,
                 SceneArray* full) {
  const int me = session.rank();
  const int64_t step = rows_per_message(local), width = local.width();
  for (int r = 0; r < session.size(); ++r) {
    if (me != 0 && r != me) continue;
    const RowPart& part = parts[static_cast<size_t>(r)];
    for (int64_t y = part.own0; y < part.own1; y += step) {
      const int64_t y1 = std::min(part.own1, y + step);
      torch::Tensor rows;
      if (r == me) {
        rows = local.read({y - local_y0, 0, y1 - local_y0, width}).cpu();
        if (me != 0) {
          session.send(rows.contiguous(), 0);
          continue;
        }
      } else {
        rows = torch::empty({local.channels(), y1 - y, width}, torch::kFloat32);
        session.receive(rows, r);
      }
      full->write({y, 0, y1, width}, rows);
      full->release_rows(y, y1);
    }
  }
}

int run_rank(mpi::Session& session, DiffusionJob job, IoOptions io) {
  // One GPU per rank on nodes with several, one share of the cores per rank on every node.
  if (job.device == "cuda" && torch::cuda::device_count() > 0)
    job.device = "cuda:" + std::to_string(session.local_rank() % static_cast<int>(torch::cuda::device_count()));
  if (!std::getenv("OMP_NUM_THREADS"))
    configure_threads(std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / session.local_size()));

  DiffusionScene scene(job, io);
  const std::vector<RowPart> parts = partition_rows(scene.grid(), scene.active_per_row(), session.size());
  int used = 0;
  for (const RowPart& p : parts) used += p.empty() ? 0 : 1;
  const bool root = session.rank() == 0;
  if (root) scene.check_runnable();
  else if (scene.active == 0) return 1;  // rank 0 reports it
  if (job.dry_run) {
    if (root) {
      scene.print_estimate(used);
      std::cout << "ranks:               " << used << " of " << session.size() << " take rows of windows\n";
    }
    return 0;
  }
  if (root) check_output_path(io.dst, io.overwrite);

  const RowPart part = parts[static_cast<size_t>(session.rank())];
  session.restrict_to(!part.empty());
  if (part.empty()) return 0;  // more ranks than rows of windows to share

  const int rank = session.rank(), ranks = session.size();
  RunSettings settings = scene.settings;
  settings["mpi_ranks"] = std::to_string(ranks);
  settings["mpi_rows"] = std::to_string(part.first) + "-" + std::to_string(part.last);
  const RankCheckpoint checkpoint(session, io.dst, settings);
  const int total = job.steps;
  auto state = scene.new_array(part.y1 - part.y0);
  int completed = 0;
  if (job.resume) {
    completed = checkpoint.common_step();
    checkpoint.load(completed, *state);
  } else {
    if (root && checkpoint.exists())
      warn("sr", "starting afresh; the checkpoints of an earlier run (" + checkpoint.path() + ", ...) will be replaced");
    scene.write_initial_noise(*state, part.y0);
  }

  double exchange_seconds = 0.0, exchanged_bytes = 0.0;
  SharedRows shared{part.y0, part.shared_top, part.shared_bottom,
                    [&](torch::Tensor& top, torch::Tensor& bottom) {
                      const auto started = Clock::now();
                      const int above = rank > 0 ? rank - 1 : -1, below = rank + 1 < ranks ? rank + 1 : -1;
                      torch::Tensor from_above = torch::empty(top.sizes(), top.options());
                      torch::Tensor from_below = torch::empty(bottom.sizes(), bottom.options());
                      session.exchange(top.contiguous(), above, from_below, below);
                      session.exchange(bottom.contiguous(), below, from_above, above);
                      top.add_(from_above);
                      bottom.add_(from_below);
                      exchange_seconds += seconds_since(started);
                      exchanged_bytes += static_cast<double>((top.numel() + bottom.numel()) * 8);
                    }};
  BandCanvas canvas = scene.new_canvas(std::move(state), std::move(shared));

  StepProgress progress(completed, total, io.quiet || !root);
  const auto started = Clock::now();
  const int first = completed;
  try {
    const InterruptGuard interrupts;
    const StreamingRun run = scene.streaming_run(
        std::ref(progress),
        [&](int steps_done) {
          completed = steps_done;
          // Every rank stops after the same step, so none is left waiting for a neighbour.
          const int signal = session.max(InterruptGuard::received());
          if (signal || (job.checkpoint_every > 0 && steps_done % job.checkpoint_every == 0 && steps_done < total))
            checkpoint.save(steps_done, canvas.state());
          if (signal) throw Interrupted{signal};
        },
        part.first, part.last);
    run_streaming(run, canvas, completed);
  } catch (const Interrupted& stop) {
    if (root) {
      if (!io.quiet) std::cerr << "\n";
      std::cerr << "geosr sr: interrupted after step " << completed << " of " << total << "; state saved to "
                << rank_checkpoint_path(io.dst, 0, ranks) << " and the other ranks' files (finish with the same "
                << "command and --resume)\n";
    }
    return 128 + stop.signal;
  }
  const double step_seconds = session.max(seconds_since(started)) / std::max(1, total - first);
  const double slowest_exchange = session.max(exchange_seconds) / std::max(1, total - first);

  std::unique_ptr<SceneArray> full = root ? scene.new_host_array(scene.grid().extent_height()) : nullptr;
  gather_rows(session, parts, canvas.state(), part.y0, full.get());
  if (root) {
    try {
      scene.write_output(*full, io, progress.ticks());
    } catch (const Interrupted&) {
      throw std::runtime_error("interrupted while writing " + io.dst + "; nothing was written under that name");
    }
    if (!io.quiet)
      std::cerr << "geosr sr: " << ranks << " ranks, per step " << format_number(std::round(step_seconds * 1000) / 1000)
                << " s (slowest rank), of which " << format_number(std::round(slowest_exchange * 1e4) / 1e4)
                << " s exchanging shared rows; rank 0 exchanged "
                << bytes_text(exchanged_bytes / std::max(1, total - first)) << " per step\n";
  }
  session.barrier();  // the output is complete: no checkpoint is needed any more
  checkpoint.remove();
  return 0;
}

}  // namespace

std::string rank_checkpoint_path(const std::string& dst, int rank, int ranks) {
  return checkpoint_path(dst) + ".rank" + std::to_string(rank) + "of" + std::to_string(ranks);
}

int run_distributed_job(const DiffusionJob& job, IoOptions io) {
  mpi::Session session;
  const std::string who =
      "sr (rank " + std::to_string(session.rank()) + " of " + std::to_string(session.size()) + ")";
  bool failed = true;
  const int code = guarded(who, [&] {
    const int result = run_rank(session, job, io);
    failed = false;
    return result;
  });
  // A rank that fails ends the job, instead of leaving the others waiting for its rows.
  if (failed && session.size() > 1) session.abort(code);
  return code;
}

}  // namespace geosr::cli
