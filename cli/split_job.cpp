#include "split_job.hpp"

#include <filesystem>
#include <functional>
#include <iostream>

#include "diffusion_scene.hpp"
#include "geosr/core/canvas/region_sampler.hpp"
#include "geosr/core/interrupt.hpp"
#include "geosr/core/distributed/row_partition.hpp"
#include "geosr/io/progress.hpp"
#include "geosr/io/raster_writer.hpp"

namespace geosr::cli {
namespace {

namespace fs = std::filesystem;
using torch::indexing::Slice;

std::string part_path(const std::string& dst, int part, int parts) {
  return dst + ".part" + std::to_string(part + 1) + "of" + std::to_string(parts);
}

// The scene rows band `part` delivers: the rows its windows cover, inside the scene.
Region band_rows(const RowPart& part, const WindowGrid& grid) {
  return {part.y0, 0, std::min(part.y1, grid.height()), grid.width()};
}

// y_0 of one band, computed or, when an earlier job left it with these settings, read back.
torch::Tensor band_result(DiffusionScene& scene, const RowPart& part, int index, int parts, const std::string& dst,
                          const RunSettings& settings, const std::function<void(const SceneProgress&)>& progress) {
  const std::string path = part_path(dst, index, parts);
  const Region rows = band_rows(part, scene.grid());
  auto array = SceneArray::in_memory(scene.channels, rows.height(), rows.width());
  if (fs::exists(path)) {
    const CheckpointInfo info = read_checkpoint_info(path);
    if (settings_difference(settings, info.settings).empty()) {
      load_checkpoint_state(path, *array);
      return array->data();
    }
    warn("sr", path + " was made with other settings; computing the band again");
  }
  const RegionRun run{scene.setup.denoiser, *scene.setup.sampler, scene.fuser,
                      [&scene](const Region& r) {
                        return read_condition(scene.lr_reader(), scene.source.height(), scene.source.width(),
                                              scene.grid(), r);
                      },
                      scene.job.seed, scene.job.batch, scene.setup.device,
                      [&progress](const SceneProgress& p) {
                        if (InterruptGuard::received()) throw Interrupted{InterruptGuard::received()};
                        progress(p);
                      }};
  const int64_t halo = scene.job.split_halo * scene.grid().stride();
  array->write({0, 0, rows.height(), rows.width()}, sample_region(run, rows, halo));
  save_checkpoint(path, settings, scene.job.steps, *array);
  return array->data();
}

}  // namespace

int run_split_job(const DiffusionJob& job, IoOptions io) {
  if (job.split_halo < 0) throw UsageError("--split-halo must be 0 or more rows of windows");
  if (job.resume) throw UsageError("--split-rows resumes by itself: bands already written are reused");
  DiffusionScene scene(job, io);
  const std::vector<RowPart> parts = partition_rows(scene.grid(), scene.active_per_row(), job.split_rows);
  int used = 0;
  for (const RowPart& p : parts) used += p.empty() ? 0 : 1;
  if (job.split_part > used) {
    throw UsageError("--split-part " + std::to_string(job.split_part) + " but the scene splits into " +
                     std::to_string(used) + " bands");
  }
  scene.check_runnable();
  if (job.dry_run) {
    scene.print_estimate(1);
    std::cout << "bands:               " << used << " of " << job.split_rows << " requested, halo "
              << job.split_halo << " rows of windows\n";
    return 0;
  }
  if (job.split_rows > used && !io.quiet) {
    warn("sr", "the scene splits into " + std::to_string(used) + " bands, not " + std::to_string(job.split_rows) +
                   " (a band needs a row of windows); --split-part " + std::to_string(used + 1) + " and above are refused");
  }
  // Where the bands are kept, checked before the first one is computed.
  check_output_path(part_path(io.dst, std::max(job.split_part, 1) - 1, used), true);
  RunSettings settings = scene.settings;
  settings["split_rows"] = std::to_string(used);
  settings["split_halo"] = std::to_string(job.split_halo);
  // A Slurm time limit or Ctrl-C stops the band being computed; the bands finished are kept.
  const InterruptGuard interrupts;
  int current = 0;  // the band being computed
  const auto interrupted = [&](const Interrupted& stop) {
    if (!io.quiet) std::cerr << "\n";
    std::cerr << "geosr sr: interrupted in band " << current + 1 << " of " << used
              << "; the bands finished are kept beside the output (rerun the same command to continue)\n";
    return 128 + stop.signal;
  };
  if (job.split_part > 0) {
    current = job.split_part - 1;
    settings["split_part"] = std::to_string(current);
    StepProgress progress(0, job.steps, io.quiet);
    try {
      band_result(scene, parts[static_cast<size_t>(current)], current, used, io.dst, settings, std::ref(progress));
    } catch (const Interrupted& stop) {
      return interrupted(stop);
    }
    return 0;
  }
  check_output_path(io.dst, io.overwrite);

  const WindowGrid& grid = scene.grid();
  auto full = scene.new_host_array(grid.extent_height());
  int ticks = -1;
  // The whole run's share done: bands before this one, then this band's steps and windows.
  const auto progress = [&](const SceneProgress& p) {
    if (io.quiet) return;
    const double in_band = (p.step + static_cast<double>(p.windows_done) / static_cast<double>(p.windows)) / p.steps;
    const std::string message = "band " + std::to_string(current + 1) + "/" + std::to_string(used) + ", step " +
                                std::to_string(p.step + 1) + "/" + std::to_string(p.steps);
    stderr_progress(0.98 * (current + in_band) / used, message.c_str(), &ticks);
  };
  for (int i = 0; i < used; ++i) {
    current = i;
    settings["split_part"] = std::to_string(i);
    torch::Tensor band;
    try {
      band = band_result(scene, parts[static_cast<size_t>(i)], i, used, io.dst, settings, progress);
    } catch (const Interrupted& stop) {
      return interrupted(stop);
    }
    const Region rows = band_rows(parts[static_cast<size_t>(i)], grid);
    // Rows shared with the band above: a linear ramp from its values to this band's.
    const int64_t shared = i == 0 ? 0 : std::min(parts[static_cast<size_t>(i - 1)].y1, grid.height()) - rows.y0;
    if (shared > 0) {
      const Region blend{rows.y0, 0, rows.y0 + shared, rows.x1};
      const auto ramp = (torch::arange(shared, torch::kFloat64) + 0.5).div(shared).view({1, shared, 1});
      const auto above = full->read(blend).to(torch::kFloat64);
      const auto below = band.slice(1, 0, shared).to(torch::kFloat64);
      full->write(blend, ((1.0 - ramp) * above + ramp * below).to(torch::kFloat32));
    }
    if (shared < rows.height()) full->write({rows.y0 + shared, 0, rows.y1, rows.x1}, band.slice(1, shared));
    if (!io.quiet) stderr_progress(0.98 * (i + 1) / used, nullptr, &ticks);
  }
  scene.write_output(*full, io, &ticks);
  for (int i = 0; i < used; ++i) fs::remove(part_path(io.dst, i, used));
  return 0;
}

}  // namespace geosr::cli
