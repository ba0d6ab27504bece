// Joint scene denoising throughput (GDAL-free): runs the scene sampler with a U-Net preset on a
// synthetic scene and separates the network's time from everything else (gather, noise, fusion,
// scatter), by timing the Denoiser calls.
//
//   bench_scene [--preset tiny] [--size 256] [--window 64] [--stride 48] [--batch 8] [--steps 2]
//               [--fusion sdvc] [--device cpu|cuda] [--precision fp32|bf16|fp16] [--threads 0]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <torch/cuda.h>
#include <torch/torch.h>

#include "bench_args.hpp"
#include "geosr/core/canvas/scene_sampler.hpp"
#include "geosr/core/diffusion/schedule.hpp"
#include "geosr/core/network/model_file.hpp"
#include "geosr/core/network/unet.hpp"
#include "geosr/core/runtime.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) try {
  const auto args = geosr::bench::parse_args(argc, argv,
                                             {{"preset", "tiny"},
                                              {"size", "256"},
                                              {"window", "64"},
                                              {"stride", "48"},
                                              {"batch", "8"},
                                              {"steps", "2"},
                                              {"fusion", "sdvc"},
                                              {"device", "cpu"},
                                              {"precision", "fp32"},
                                              {"threads", "0"}},
                                             "bench_scene.cpp");
  geosr::configure_threads(std::stoi(args.at("threads")));
  geosr::keep_freed_memory();
  const torch::Device device(args.at("device"));
  const int64_t size = std::stoll(args.at("size")), window = std::stoll(args.at("window"));
  const int steps = std::stoi(args.at("steps"));

  torch::manual_seed(0);
  const geosr::UNetConfig config = geosr::UNetConfig::preset(args.at("preset"), 3);
  const geosr::Denoiser network = geosr::make_denoiser(
      geosr::UNet(config), device, geosr::parse_precision(args.at("precision")));
  double network_s = 0.0;
  int64_t network_windows = 0;
  const geosr::Denoiser timed = [&](const torch::Tensor& c, const torch::Tensor& y,
                                    const torch::Tensor& level) {
    const auto start = Clock::now();
    auto eps = network(c, y, level);
    if (device.is_cuda()) torch::cuda::synchronize();
    network_s += seconds_since(start);
    network_windows += c.size(0);
    return eps;
  };

  const auto sampler = geosr::make_sampler(
      geosr::SamplerKind::Ddpm, geosr::NoiseSchedule::make(geosr::ScheduleKind::Linear).respaced(steps));
  const auto scene = torch::rand({3, size, size}) * 2 - 1;
  geosr::SceneSamplerOptions opt;
  opt.fusion = geosr::parse_fusion_mode(args.at("fusion"));
  opt.window = window;
  opt.stride = std::stoll(args.at("stride"));
  opt.batch = std::stoll(args.at("batch"));
  opt.device = device;

  // One untimed window batch warms up the allocator and the convolution kernels.
  timed(torch::zeros({opt.batch, 3, window, window}, device), torch::zeros({opt.batch, 3, window, window}, device),
        torch::ones({opt.batch}, device));
  network_s = 0.0;
  network_windows = 0;

  const auto start = Clock::now();
  geosr::sample_scene(timed, *sampler, scene, opt);
  const double total_s = seconds_since(start);

  // Window-steps count the grid's windows; the network may have evaluated a few more rows (a
  // lone window in the last batch runs as a pair, see window_step.cpp), which the FLOP rate counts.
  const double window_steps = static_cast<double>(
      geosr::make_grid(opt.fusion, size, size, window, opt.stride).size() * steps);
  const double flops = geosr::unet_flops(config, window, window, 1) * double(network_windows);
  std::printf("preset %s, scene %lldx%lld, window %lld stride %lld, batch %lld, %d steps, fusion %s, "
              "%s %s, %d threads\n",
              args.at("preset").c_str(), (long long)size, (long long)size, (long long)window,
              (long long)opt.stride, (long long)opt.batch, steps, args.at("fusion").c_str(),
              args.at("device").c_str(), args.at("precision").c_str(), at::get_num_threads());
  std::printf("window-steps         %.0f in %.2f s (network %.2f s)\n", window_steps, total_s, network_s);
  std::printf("window-steps/s       %.2f\n", window_steps / total_s);
  std::printf("Mpix/s per step      %.4f\n", double(size) * size * steps / total_s / 1e6);
  std::printf("network TFLOP/s      %.4f\n", flops / network_s / 1e12);
  std::printf("outside the network  %.1f %%\n", 100.0 * (total_s - network_s) / total_s);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_scene: %s\n", e.what());
  return 1;
}
