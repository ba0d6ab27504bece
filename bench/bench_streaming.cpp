// Streaming processor memory and overhead (GDAL-free): runs the streaming core (band canvas,
// condition computed once, row-major windows) on a synthetic scene of a given output size, with the
// canvas where `geosr sr` would put it for the given limits (accelerator memory, RAM or
// memory-mapped), and reports wall time against the pure network time, peak RSS and peak
// accelerator memory. One size per process, so the peaks are that run's.
//
//   bench_streaming [--megapixels 16] [--network tiny|pointwise] [--window 128] [--stride 96]
//                   [--batch 8] [--steps 1] [--max-ram 256] [--max-device -1] [--tmpdir /tmp]
//                   [--device cpu|cuda] [--precision fp32] [--threads 0] [--lr-consistency 0.25]
//
// Sizes in MiB; --max-device -1 is geosr's default (half the free device memory), 0 keeps the
// canvas on the host. The pure network time replays every batch shape of the run through the
// network alone, each shape after a warm-up call, synchronised: "outside" is everything else,
// of the whole run (with y_T, the condition and reading the result out) and of the steps alone.
// The run itself starts cold, as a job does: its first step pays the one-off costs of every new
// batch shape (oneDNN's primitives, cuDNN's plans, first touch of the allocators' blocks,
// lazily loaded kernels), which the replay has warmed away; with two steps or more, the steps after
// the first (the same windows and calls each) give the steady rate against the same replay.
// The replay feeds one batch from a warm cache; on the CPU, where a call is synchronous, the calls
// are also timed inside the run, which gives the steps' own time without that bias.
// `pointwise` replaces the U-Net by a per-pixel function: what is left is the processor itself,
// which is what the memory curve is about. On an accelerator the steps' overhead is set by how
// many LibTorch operations the host dispatches, so the bench also counts them per window-step
// outside the network (top-level operations of the calling thread; each launches at most a few
// kernels, often one). The LR consistency (geosr sr's default weight unless given) is part of the
// step, so it counts as outside the network.

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

#include <ATen/record_function.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "bench_args.hpp"
#include "geosr/core/canvas/canvas_plan.hpp"
#include "geosr/core/canvas/condition_cache.hpp"
#include "geosr/core/canvas/streaming_sampler.hpp"
#include "geosr/core/diffusion/lr_consistency.hpp"
#include "geosr/core/diffusion/noise.hpp"
#include "geosr/core/diffusion/sampler.hpp"
#include "geosr/core/network/model_file.hpp"
#include "geosr/core/runtime.hpp"

#ifdef GEOSR_BENCH_CUDA_MEMORY
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

double peak_rss_mib() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

double peak_device_mib(const torch::Device& device) {
#ifdef GEOSR_BENCH_CUDA_MEMORY
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index() < 0 ? 0 : device.index());
    return static_cast<double>(stats.allocated_bytes[0].peak) / (1 << 20);
  }
#endif
  (void)device;
  return 0.0;
}

// Top-level operations dispatched by the main thread: nested ones (an operation calling another)
// and those of LibTorch's worker threads are not dispatches of ours.
std::atomic<int64_t> operations{0};
thread_local int depth = 0;
thread_local bool on_main_thread = false;

std::unique_ptr<at::ObserverContext> operation_started(const at::RecordFunction&) {
  if (on_main_thread && depth++ == 0) ++operations;
  return nullptr;
}

void operation_ended(const at::RecordFunction&, at::ObserverContext*) {
  if (on_main_thread) --depth;
}

}  // namespace

int main(int argc, char** argv) try {
  const auto args = geosr::bench::parse_args(argc, argv,
                                             {{"megapixels", "16"},
                                              {"network", "tiny"},
                                              {"window", "128"},
                                              {"stride", "96"},
                                              {"batch", "8"},
                                              {"steps", "1"},
                                              {"max-ram", "256"},
                                              {"tmpdir", "/tmp"},
                                              {"device", "cpu"},
                                              {"precision", "fp32"},
                                              {"threads", "0"},
                                              {"max-device", "-1"},
                                              {"lr-consistency", "0.25"}},
                                             "bench_streaming.cpp");
  geosr::configure_threads(std::stoi(args.at("threads")));
  geosr::keep_freed_memory();
  const torch::Device device(args.at("device"));
  const int64_t window = std::stoll(args.at("window")), stride = std::stoll(args.at("stride"));
  const int steps = std::stoi(args.at("steps"));
  const int64_t scale = 5, channels = 3;
  // A square scene of the requested output size, on the LR grid.
  const auto lr_side = static_cast<int64_t>(std::ceil(std::sqrt(std::stod(args.at("megapixels")) * 1e6) / scale));
  const int64_t side = lr_side * scale;

  torch::manual_seed(0);
  const auto sampler = geosr::make_sampler(
      geosr::SamplerKind::Ddpm, geosr::NoiseSchedule::make(geosr::ScheduleKind::Linear).respaced(steps), 0.0,
      geosr::lr_consistency(scale, std::stod(args.at("lr-consistency"))));
  geosr::Denoiser network;
  if (args.at("network") == "pointwise") {
    network = [](const torch::Tensor& c, const torch::Tensor& y, const torch::Tensor&) { return 0.5 * y - 0.3 * c; };
  } else {
    network = geosr::make_denoiser(geosr::UNet(geosr::UNetConfig::preset(args.at("network"), 3)), device,
                                   geosr::parse_precision(args.at("precision")));
  }
  // The run's batch sizes, replayed through the network alone afterwards.
  std::map<int64_t, int64_t> batches;
  int64_t network_operations = 0;
  double network_in_run_s = 0.0;
  Clock::time_point first_step_end;
  double network_in_first_step_s = 0.0;
  const geosr::Denoiser counted = [&](const torch::Tensor& c, const torch::Tensor& y, const torch::Tensor& level) {
    ++batches[y.size(0)];
    const int64_t before = operations;
    const auto called = Clock::now();
    auto eps = network(c, y, level);
    network_in_run_s += std::chrono::duration<double>(Clock::now() - called).count();
    network_operations += operations - before;
    return eps;
  };
  const auto synchronize = [&] {
    if (device.is_cuda()) torch::cuda::synchronize();
  };
  const auto window_batch = [&](int64_t n) {
    return torch::randn({n, channels, window, window}, torch::TensorOptions().device(device));
  };

  const geosr::Fuser fuser(geosr::FusionMode::Sdvc, geosr::make_grid(geosr::FusionMode::Sdvc, side, side, window, stride),
                           geosr::WeightKind::Cone);
  const geosr::WindowGrid& grid = fuser.grid();
  // A synthetic LR raster computed on request, so the input costs no memory either.
  geosr::ConditionSource condition(
      [](geosr::Span rows, geosr::Span cols) {
        const auto y = torch::arange(rows.begin, rows.end, torch::kFloat32).view({1, -1, 1});
        const auto x = torch::arange(cols.begin, cols.end, torch::kFloat32).view({1, 1, -1});
        const auto c = torch::arange(3, torch::kFloat32).view({3, 1, 1});
        return geosr::LrBlock{0.6 * torch::sin(x / 7.0 + c) * torch::cos(y / 11.0 - c),
                              torch::ones({rows.size(), cols.size()}, torch::kBool)};
      },
      lr_side, lr_side, grid);

  const double mib = 1 << 20, max_device = std::stod(args.at("max-device"));
  const geosr::CanvasPlan plan =
      plan_canvas(geosr::canvas_needs(channels, grid, fuser.planes()), std::stod(args.at("max-ram")) * mib,
                  max_device < 0 ? 0.5 * geosr::accelerator_free_bytes(device) : max_device * mib, device,
                  args.at("tmpdir"));
  const auto array = [&] { return plan.new_array(channels, grid.extent_height(), grid.extent_width()); };
  std::printf("canvas %s, condition %s; accelerator memory free %.0f MiB\n", plan.where().c_str(),
              plan.where(plan.condition_store).c_str(), geosr::accelerator_free_bytes(device) / mib);
  const auto start = Clock::now();
  auto state = array();
  for (int64_t y = 0; y < grid.extent_height(); y += window) {
    const geosr::Region rows{y, 0, std::min(grid.extent_height(), y + window), grid.extent_width()};
    state->write(rows, geosr::initial_noise(0, channels, rows));
    state->release_rows(rows.y0, rows.y1);
  }
  geosr::BandCanvas canvas(std::move(state), array(), fuser.planes(), window, {}, device);
  const geosr::Span rows{0, grid.extent_height()};
  geosr::ConditionCache cached(condition, grid, rows,
                               plan.new_condition_array(channels, rows.size(), grid.extent_width()));
  const geosr::StreamingRun run{counted,
                                *sampler,
                                fuser,
                                [&](const std::vector<geosr::Region>& r) { return cached.read_windows(r); },
                                0,
                                std::stoll(args.at("batch")),
                                device,
                                {},
                                {},
                                [&](int completed) {
                                  if (completed != 1) return;
                                  synchronize();
                                  first_step_end = Clock::now();
                                  network_in_first_step_s = network_in_run_s;
                                }};
  on_main_thread = true;
  const auto counter = at::addGlobalCallback(
      at::RecordFunctionCallback(operation_started, operation_ended).scopes({at::RecordScope::FUNCTION}));
  const auto steps_start = Clock::now();
  geosr::run_streaming(run, canvas);
  synchronize();
  at::removeCallback(counter);
  const double operations_per_window = double(operations - network_operations) / double(grid.size() * steps);
  const double steps_s = std::chrono::duration<double>(Clock::now() - steps_start).count();
  // Read the result out band by band, as the job's writer does.
  double checksum = 0.0;
  for (int64_t y = 0; y < grid.height(); y += window) {
    const int64_t y1 = std::min(grid.height(), y + window);
    checksum += canvas.state().read({y, 0, y1, grid.width()}).cpu().sum().item<double>();
    canvas.state().release_rows(y, y1);
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - start).count();

  double network_s = 0.0;
  for (const auto& [n, calls] : batches) {
    const auto c = window_batch(n), y = window_batch(n);
    const auto level = torch::full({1}, 0.5, torch::TensorOptions().device(device));
    network(c, y, level);
    synchronize();
    const int64_t reps = std::min<int64_t>(calls, 20);
    const auto timed = Clock::now();
    for (int64_t i = 0; i < reps; ++i) network(c, y, level);
    synchronize();
    network_s += std::chrono::duration<double>(Clock::now() - timed).count() / double(reps) * double(calls);
  }

  if (device.is_cpu())
    std::printf("network inside the run %.2f s: outside, of the steps, %.1f %%\n", network_in_run_s,
                100.0 * (steps_s - network_in_run_s) / steps_s);
  if (steps > 1) {
    const double first_s = std::chrono::duration<double>(first_step_end - steps_start).count();
    const double later_s = steps_s - first_s;
    const double later_network_s = network_s * double(steps - 1) / double(steps);
    std::printf("first step %.2f s; the %d after it %.2f s against %.2f s of replayed network: outside %.1f %%",
                first_s, steps - 1, later_s, later_network_s, 100.0 * (later_s - later_network_s) / later_s);
    if (device.is_cpu()) {
      const double calls_s = network_in_run_s - network_in_first_step_s;
      std::printf(", against their calls (%.2f s) %.1f %%", calls_s, 100.0 * (later_s - calls_s) / later_s);
    }
    std::printf("\n");
  }
  std::printf("%8.1f MP  %-8s %-7s %6lld windows x %d steps  wall %8.2f s (steps %8.2f s)  network %8.2f s  "
              "outside %5.1f %% (of the steps %5.1f %%, %.1f operations per window)  "
              "peak RSS %8.1f MiB  peak device %7.1f MiB  (checksum %.3g)\n",
              double(side) * double(side) / 1e6, args.at("network").c_str(),
              plan.store == geosr::CanvasStore::Device ? "device"
              : plan.store == geosr::CanvasStore::Ram  ? "ram"
                                                       : "mapped",
              (long long)grid.size(), steps, total_s, steps_s, network_s, 100.0 * (total_s - network_s) / total_s,
              100.0 * (steps_s - network_s) / steps_s, operations_per_window,
              peak_rss_mib(), peak_device_mib(device), checksum);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_streaming: %s\n", e.what());
  return 1;
}
